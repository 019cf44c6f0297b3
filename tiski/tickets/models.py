"""Tickets, their conversation and their history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tiski.core.config_cache import kept
from tiski.customers.models import Contact

if TYPE_CHECKING:
    from tiski.accounts.models import User


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


UNSOLVED_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
UNSOLVED = Q(status__in=UNSOLVED_STATUSES)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}

# "No deadline" in the queue's sort key: a real value instead of NULL keeps
# the ordering and its index the same on SQLite and PostgreSQL (they sort
# NULLs differently) and keyset pagination simple.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    WEB_FORM = "web_form", _("Web form")
    CHAT = "chat", _("Web chat")
    WHATSAPP = "whatsapp", _("WhatsApp")
    MESSENGER = "messenger", _("Messenger")
    INSTAGRAM = "instagram", _("Instagram")
    TELEGRAM = "telegram", _("Telegram")
    SMS = "sms", _("SMS")
    API = "api", _("API")
    MANUAL = "manual", _("Created by agent")


class Via(models.TextChoices):
    """The path a change came through: the same actions serve all of them."""

    AGENT = "agent", _("Agent")
    RULE = "rule", _("Rule")
    API = "api", _("API")
    CHANNEL = "channel", _("Channel")
    SYSTEM = "system", _("System")


class TicketType(models.Model):
    slug = models.SlugField(_("identifier"), max_length=50, unique=True)
    name_fi = models.CharField(_("name in Finnish"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "fi").startswith("en") else self.name_fi


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def normalise(name: str) -> str:
        return "-".join(name.strip().lower().split())


def _team_ids(user: User) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The user's team ids and all restricted team ids, once per user object.

    A request asks visible_to several times (list, counts, side panel); the
    answer cannot change within it. Between requests the web process keeps
    it under the desk's lists version (core/config_cache.py), which every
    change of a membership or of a team's restricted flag renews in its own
    transaction (accounts/apps.py).
    """
    cached = getattr(user, "_tiski_team_ids", None)
    if cached is None:
        cached = kept(f"visibility:team-ids:{user.pk}", lambda: _read_team_ids(user.pk))
        user._tiski_team_ids = cached
    return cached


def _read_team_ids(user_id: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    from tiski.accounts.models import Team

    # One query for both lists: the teams the user is in, and the restricted ones.
    member = Team.members.through.objects.filter(team_id=OuterRef("pk"), user_id=user_id)
    rows = list(
        Team.objects.annotate(mine=Exists(member))
        .filter(Q(mine=True) | Q(restricted=True))
        .values_list("id", "restricted", "mine")
    )
    return (
        tuple(pk for pk, _restricted, mine in rows if mine),
        tuple(pk for pk, restricted, _mine in rows if restricted),
    )


def member_team_ids(user: User) -> tuple[int, ...]:
    """The ids of the teams the user is in: the answer visible_to reads, once per user object."""
    return _team_ids(user)[0]


def team_visibility_condition(user: User) -> Q | None:
    """`visibility_condition`'s first two arms (no team; my teams); None: all.

    For derived tables without an agent column (the monthly rollups of
    created tickets): their readers add the third arm, "assigned to me
    outside my teams", from a table that has one.
    """
    if user.is_admin:
        return None
    team_ids, _restricted_ids = _team_ids(user)
    return Q(team__isnull=True) | Q(team_id__in=team_ids)


def visibility_condition(user: User) -> Q | None:
    """visible_to's rule as a condition on ``team_id`` and ``assignee_id``; None: all.

    Written once so that derived tables carrying the same two columns (the
    report facts and rollups) apply exactly the rule the ticket lists apply.
    """
    if user.is_admin:
        return None
    team_ids, restricted_ids = _team_ids(user)
    # No join to the team table: the ids are known up front, so counts
    # over a million tickets can be answered from an index alone.
    return (
        Q(team__isnull=True)
        | Q(team_id__in=team_ids)
        | (Q(assignee_id=user.pk) & ~Q(team_id__in=restricted_ids))
    )


@dataclass(frozen=True)
class Viewer:
    """`visibility_condition`'s rule in Python, for one user, without a query.

    For pushes: a desk websocket hears of every change in the desk. The
    change carries the ticket's team, that team's restricted flag and the
    assignee once (`tiski.desk.push`), and each socket decides from these
    facts, read when it connected and again when the user's teams change.
    Keep the two rules the same (tests/tickets/test_viewer.py compares them).
    """

    user_id: int
    active: bool
    admin: bool
    team_ids: frozenset[int]

    @classmethod
    def read(cls, user_id: int) -> Viewer:
        """The user's role, state and teams as the database has them now."""
        from tiski.accounts.models import User

        user = User.objects.only("role", "is_superuser", "is_active").filter(pk=user_id).first()
        if user is None:
            return cls(user_id=user_id, active=False, admin=False, team_ids=frozenset())
        return cls(
            user_id=user_id,
            active=user.is_active,
            admin=user.is_admin,
            team_ids=frozenset(user.teams.values_list("id", flat=True)),
        )

    def sees(self, *, team_id: int | None, team_restricted: bool, assignee_id: int | None) -> bool:
        if not self.active:
            return False
        if self.admin:
            return True
        return (
            team_id is None
            or team_id in self.team_ids
            or (assignee_id == self.user_id and not team_restricted)
        )


class TicketQuerySet(models.QuerySet["Ticket"]):
    def visible_to(self, user: User) -> TicketQuerySet:
        """The only way lists, counts, searches and pushes get tickets.

        Admins see everything. Agents see tickets that have no team yet (the
        shared intake), tickets of their teams and tickets assigned to them,
        except that a restricted team's tickets are seen by its members only.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        condition = visibility_condition(user)
        return self if condition is None else self.filter(condition)

    def unsolved(self) -> TicketQuerySet:
        return self.filter(UNSOLVED)


class Ticket(models.Model):
    number = models.BigIntegerField(_("number"), unique=True)
    subject = models.CharField(_("subject"), max_length=300)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    type = models.ForeignKey(
        TicketType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("type"),
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    # Derived sort keys of the SLA-ordered queue, kept by the actions and the
    # SLA service: nearest deadline first, then priority, then age.
    priority_rank = models.PositiveSmallIntegerField(default=1)
    queue_due_at = models.DateTimeField(default=NO_DEADLINE)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    # How many times the ticket was escalated (0: never); only `escalate` raises it.
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    requester = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("requester")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("team"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    # People copied on the conversation (email CC); they stay on replies.
    ccs = models.ManyToManyField(
        Contact, blank=True, related_name="cc_tickets", verbose_name=_("CCs")
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.MANUAL
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent ticket"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # Timestamps reports need; kept by the actions, never guessed afterwards.
    first_agent_reply_at = models.DateTimeField(null=True, blank=True)
    last_agent_reply_at = models.DateTimeField(null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    # When the status last changed: time rules ("pending for 3 days") read it.
    status_changed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
            models.Index(fields=["status", "-updated_at", "-id"], name="ticket_status_updated"),
            models.Index(
                fields=["-updated_at", "-id"], condition=UNSOLVED, name="ticket_unsolved_updated"
            ),
            models.Index(
                fields=["assignee", "-updated_at", "-id"],
                condition=UNSOLVED,
                name="ticket_unsolved_assignee",
            ),
            models.Index(
                fields=["team", "-updated_at", "-id"],
                condition=UNSOLVED,
                name="ticket_unsolved_team",
            ),
            models.Index(
                fields=["queue_due_at", "-priority_rank", "created_at", "id"],
                condition=UNSOLVED,
                name="ticket_queue",
            ),
            # Counts of the views read these without touching the table: every
            # column the sidebar's one aggregate reads (inbox.view_counts), the
            # escalation level and the id (the count, the followed tickets) too.
            models.Index(
                fields=["team", "assignee"],
                include=["status", "escalation_level", "id"],
                condition=UNSOLVED,
                name="ticket_unsolved_counts",
            ),
            models.Index(fields=["status", "team", "assignee"], name="ticket_status_visibility"),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester"),
            models.Index(fields=["-created_at", "-id"], name="ticket_created"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("desk:ticket", args=[self.number])

    @property
    def has_deadline(self) -> bool:
        return self.queue_due_at < NO_DEADLINE

    @property
    def is_unsolved(self) -> bool:
        return self.status in UNSOLVED_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED


class MessageKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer message")
    PUBLIC = "public", _("Public reply")
    INTERNAL = "internal", _("Internal note")
    CALL = "call", _("Phone call")
    SYSTEM = "system", _("System message")


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.MANUAL
    )
    text = models.TextField(_("text"), blank=True)
    # Always sanitised before it is stored: templates may render it as-is.
    html = models.TextField(_("HTML"), blank=True)
    # Plain text made once on the way in (core.sanitize.plain_preview):
    # lists and timelines show it and never parse customer text themselves.
    preview = models.CharField(_("preview"), max_length=300, blank=True, default="")
    external_id = models.CharField(_("external id"), max_length=500, blank=True, db_index=True)
    # The conversation root of an email's Outlook Thread-Index (22 bytes as
    # hex), received or sent: threads Outlook replies that carry no References.
    thread_index_root = models.CharField(max_length=44, blank=True, default="")
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="message_ticket_order"),
            # Partial: most messages (notes, calls, other clients) have none.
            models.Index(
                fields=["thread_index_root"],
                condition=~Q(thread_index_root=""),
                name="message_thread_index",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.ticket_id}"

    def get_absolute_url(self) -> str:
        """The ticket page scrolled to this message; ``?message=`` makes the page
        include it even when it is older than the stretch shown at first."""
        return f"{self.ticket.get_absolute_url()}?message={self.pk}#message-{self.pk}"

    @property
    def author_name(self) -> str:
        if self.author_user_id:
            return str(self.author_user)
        if self.author_contact_id:
            return str(self.author_contact)
        return "Tiski"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Stored names are random so one customer's file name never collides
    # with, or reveals, another's; the real name is kept in a field.
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{uuid.uuid4().hex}"


# Images a browser may show inline (a thumbnail, an attachment link): only
# rasters, so an uploaded HTML or SVG file can never run in our origin.
RASTER_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=150, default="application/octet-stream")
    size = models.PositiveBigIntegerField(default=0)
    content_id = models.CharField(max_length=255, blank=True)
    inline = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename

    @property
    def is_raster_image(self) -> bool:
        return self.content_type in RASTER_IMAGE_TYPES


class EventKind(models.TextChoices):
    CREATED = "created", _("Ticket created")
    FIELD = "field", _("Field changed")
    MESSAGE = "message", _("Message added")
    SLA = "sla", _("Service level")


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs):  # type: ignore[override]
        raise TypeError("Events are append-only")

    def delete(self):  # type: ignore[override]
        raise TypeError("Events are append-only")


class Event(models.Model):
    """Append-only record of every change: the audit trail reports read."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    via = models.CharField(max_length=10, choices=Via.choices)
    field = models.CharField(max_length=40, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="event_ticket_order"),
            # The escalations report reads escalations by time; they are a
            # sliver of the events (tens of millions at a million tickets),
            # so a partial index keeps that read from scanning them all.
            models.Index(
                fields=["created_at"],
                condition=models.Q(field="escalation_level"),
                name="event_escalation_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.field} on #{self.ticket_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("Events are append-only")
        super().save(*args, **kwargs)


class TicketMerge(models.Model):
    """One ticket merged into another, with exactly what moved, so undo is exact.

    ``moved`` holds the message ids that moved (with the ``merged_from`` they
    had before, for a ticket that was itself a merge target), the CC contact
    ids and the tag names the target gained. ``source_before`` and
    ``target_before`` keep the fields the merge overwrote. Undo moves back
    those rows only: whatever reached the target since stays there.
    """

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="merges_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="merges_in")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.AGENT)
    moved = models.JSONField(default=dict)
    source_before = models.JSONField(default=dict)
    target_before = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket merge")
        verbose_name_plural = _("ticket merges")
        constraints = [
            # Two agents merging the same ticket at once: the second one fails.
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(undone_at__isnull=True),
                name="ticketmerge_one_active_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.source_id} → #{self.target_id}"

    @property
    def is_active(self) -> bool:
        return self.undone_at is None


class LinkKind(models.TextChoices):
    # A customer's mail pointed at another ticket (its headers or number)
    # without being allowed onto it: agents may want to read both.
    MENTIONS = "mentions", _("Mentions")


class TicketLink(models.Model):
    """One ticket pointing at another; shown to agents on both tickets.

    Not parent/child (work handed to another team) and not a merge (one
    conversation): the two stay separate cases with separate people.
    """

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("kind"), max_length=20, choices=LinkKind.choices)
    # Why, in English like the intake's reasons ("References matched #12, ...").
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.SYSTEM)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "kind"], name="ticketlink_unique_source_target_kind"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.source_id} {self.kind} #{self.target_id}"


class PriorityLabel(models.Model):
    """A desk's own name for a priority in one language ("Kiireellinen" → "P1").

    Only overrides are stored; a priority without a row keeps its built-in
    label. Read through `tickets.labels`, which every screen uses.
    """

    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    label = models.CharField(_("label"), max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["priority", "language"], name="priority_label_once")
        ]
        verbose_name = _("priority label")
        verbose_name_plural = _("priority labels")

    def __str__(self) -> str:
        return f"{self.priority} ({self.language}): {self.label}"


class BulkChangeKind(models.TextChoices):
    UPDATE = "update", _("Fields and tags")
    MACRO = "macro", _("Ready answer")
    MERGE = "merge", _("Merge")


class BulkChange(models.Model):
    """One change an agent made to many tickets at once, with what undoing it needs.

    ``tickets`` maps each changed ticket's id to its fields and tags
    ``before`` and ``after`` the change (ids for related rows), so undo can
    put back exactly the old values, and only where nobody has changed the
    field again since. ``merges`` lists the TicketMerge ids of a bulk merge,
    which undo reverses through the merge's own exact undo. ``skipped``
    keeps the tickets left alone, with the reason the agent was shown.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.AGENT)
    kind = models.CharField(max_length=10, choices=BulkChangeKind.choices)
    tickets = models.JSONField(default=dict)
    merges = models.JSONField(default=list)
    skipped = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulk change")
        verbose_name_plural = _("bulk changes")

    def __str__(self) -> str:
        return f"{self.kind} of {self.changed_count} tickets"

    @property
    def changed_count(self) -> int:
        return len(self.tickets) + len(self.merges)

    @property
    def is_active(self) -> bool:
        return self.undone_at is None


class FieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    CHECKBOX = "checkbox", _("Checkbox")


class TicketFieldQuerySet(models.QuerySet["TicketField"]):
    def active(self) -> TicketFieldQuerySet:
        return self.filter(active=True)

    def for_type(self, ticket_type_id: int | None) -> TicketFieldQuerySet:
        """Fields applying to every type, and those chosen for this one."""
        applies = Q(all_types=True)
        if ticket_type_id is not None:
            applies |= Q(ticket_types=ticket_type_id)
        return self.filter(applies).distinct()


class TicketField(models.Model):
    """A custom ticket field an admin defines (order number, product group, ...).

    Values live in `TicketFieldValue`, one row per ticket and field, and are
    written only by `tickets.actions` after `tickets.custom_fields.clean_value`.
    """

    # Named in search (`field:<key>:<value>`) and the API; never renamed once used.
    key = models.SlugField(_("key"), max_length=32, unique=True)
    label_fi = models.CharField(_("label in Finnish"), max_length=100)
    label_en = models.CharField(_("label in English"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=FieldKind.choices)
    # Choice fields: [{"value": "laitteet", "label_fi": "Laitteet", "label_en": "Devices"}, ...]
    options = models.JSONField(_("options"), default=list, blank=True)
    required_on_solve = models.BooleanField(_("required to solve"), default=False)
    required_in_form = models.BooleanField(_("required in the web form"), default=False)
    customer_visible = models.BooleanField(_("shown to customers"), default=False)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    all_types = models.BooleanField(_("all ticket types"), default=True)
    ticket_types = models.ManyToManyField(
        TicketType, blank=True, related_name="fields", verbose_name=_("ticket types")
    )

    objects = TicketFieldQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("ticket field")
        verbose_name_plural = _("ticket fields")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "fi").startswith("en") else self.label_fi

    def option_label(self, value: str) -> str:
        english = (get_language() or "fi").startswith("en")
        for option in self.options:
            if option.get("value") == value:
                return option.get("label_en" if english else "label_fi") or value
        return value


class TicketFieldValue(models.Model):
    """One custom field's value on one ticket, in its canonical text form.

    A row per value rather than JSON on the ticket: "tickets whose product
    group is X" is then an ordinary B-tree look-up on (field, lookup), the
    same index and plan on SQLite and PostgreSQL, with no per-database JSON
    operators or expression indexes per key.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="field_values")
    field = models.ForeignKey(TicketField, on_delete=models.PROTECT, related_name="values")
    value = models.TextField()
    # Case-folded head of the value, for indexed equality filters (a long
    # text can exceed what a PostgreSQL B-tree entry may hold).
    lookup = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "field"], name="field_value_unique")
        ]
        indexes = [models.Index(fields=["field", "lookup"], name="field_value_lookup")]

    def __str__(self) -> str:
        return f"{self.field.key}={self.value}"
