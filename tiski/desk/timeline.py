"""The ticket conversation as one ordered timeline: messages and events.

Events store raw values (ids, codes) because they are an audit trail;
this module turns them into words for people, looking up every referenced
user, team and type in one query each instead of one per event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Model, Prefetch, Q, QuerySet, prefetch_related_objects
from django.templatetags.static import static
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from tiski.accounts.models import Team, User
from tiski.customers.models import Contact
from tiski.tickets.custom_fields import display_value
from tiski.tickets.events import CUSTOM_FIELD_PREFIX
from tiski.tickets.labels import priority_choices
from tiski.tickets.models import (
    Attachment,
    Channel,
    Event,
    EventKind,
    Message,
    Status,
    Ticket,
    TicketField,
    TicketType,
    Via,
)

from . import lookups

# Keys of a call message's meta, as its "details updated" event names them.
META_LABELS = {
    "duration": lambda: _("duration"),
    "recording_url": lambda: _("recording"),
    "cause": lambda: _("cause"),
    "agent": lambda: _("agent"),
    "agent_id": lambda: _("agent"),
    "number": lambda: _("number"),
    "direction": lambda: _("direction"),
}
SLA_TARGETS = {
    "first_reply": lambda: _("first reply"),
    "next_reply": lambda: _("next reply"),
    "resolution": lambda: _("resolution"),
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    message: Message | None = None
    event: Event | None = None
    text: str = ""
    # A message's rendered block, filled in by the page (desk/message_fragments.py).
    html: str = ""


@dataclass
class Names:
    """What events refer to by id, looked up once for a whole timeline."""

    ticket: Ticket
    users: dict[str, str] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    contacts: dict[str, str] = field(default_factory=dict)
    # ticket pk -> ticket number (the parent field stores the pk)
    numbers: dict[str, int] = field(default_factory=dict)
    # custom field key -> its definition (label, options)
    custom: dict[str, TicketField] = field(default_factory=dict)


# Which lookup each id-valued field reads.
_ID_FIELDS = {
    "assignee": "users",
    "team": "teams",
    "type": "types",
    "requester": "contacts",
    "parent": "numbers",
}


def _lookup(ticket: Ticket, events: list[Event]) -> Names:
    ids: dict[str, set[int]] = {name: set() for name in _ID_FIELDS.values()}
    ids["users"].update(e.actor_id for e in events if e.actor_id)
    for event in events:
        if event.field in _ID_FIELDS:
            for value in (event.old_value, event.new_value):
                if value.isdigit():
                    ids[_ID_FIELDS[event.field]].add(int(value))
    keys = {
        e.field.removeprefix(CUSTOM_FIELD_PREFIX)
        for e in events
        if e.field.startswith(CUSTOM_FIELD_PREFIX)
    }
    # An empty id list asks nothing of the database, but building its query
    # still costs Python; most windows name no team, type, contact or parent.
    return Names(
        ticket=ticket,
        custom={f.key: f for f in TicketField.objects.filter(key__in=keys)} if keys else {},
        # The actors came with their events; assignees, teams and types are
        # nearly always in the lists the page reads for its selects anyway.
        users={
            str(u.pk): str(u)
            for u in _known_first(
                User,
                ids["users"],
                [e.actor for e in events if e.actor_id],
                lookups.active_agents,
            )
        },
        teams={str(t.pk): str(t) for t in _known_first(Team, ids["teams"], [], lookups.teams)},
        types={
            str(t.pk): t.name
            for t in _known_first(TicketType, ids["types"], [], lookups.active_types)
        },
        contacts={str(c.pk): str(c) for c in _rows(Contact, ids["contacts"])},
        numbers={
            str(pk): number
            for pk, number in (
                Ticket.objects.filter(pk__in=ids["numbers"]).values_list("pk", "number")
                if ids["numbers"]
                else []
            )
        },
    )


def _rows(model: type[Model], ids: set[int]) -> Iterable[Model]:
    return model.objects.filter(pk__in=ids) if ids else []


def _known_first(
    model: type[Model], ids: set[int], loaded: Iterable[Model], listed: Callable[[], list]
) -> list[Model]:
    """The rows with these ids: from ``loaded`` rows, then from the request's
    ``listed`` rows (desk/lookups.py, read once per request), and only the
    rest (an agent since deactivated, a type no longer offered) by id."""
    found = {row.pk: row for row in loaded if row.pk in ids}
    if len(found) < len(ids):
        found.update((row.pk, row) for row in listed() if row.pk in ids and row.pk not in found)
    return [*found.values(), *_rows(model, ids - found.keys())]


def _when(value: str) -> str:
    """A stored ISO instant as people read it: the user's format and time zone."""
    parsed = parse_datetime(value)
    if parsed is None:
        return value
    return date_format(localtime(parsed), "SHORT_DATETIME_FORMAT")


def ticket_ref(number: int | str) -> SafeString:
    """A ticket's number without a link: for tickets the viewer may not be
    allowed to open (a child's parent in a restricted team)."""
    return format_html("#{}", number)


def ticket_link(number: int | str) -> SafeString:
    number = str(number)
    if not number.isdigit():
        return format_html("{}", number)
    return format_html('<a href="{}">#{}</a>', reverse("desk:ticket", args=[int(number)]), number)


def _who(event: Event, names: Names) -> str:
    if event.actor_id:
        return names.users.get(str(event.actor_id)) or str(event.actor)
    if event.meta.get("rule"):
        return _("Rule “%(name)s”") % {"name": event.meta["rule"]}
    if event.meta.get("absence_of"):
        return _("The out-of-office hand-over")
    if event.via == Via.SYSTEM and event.field == "assignee":
        return _("Automatic routing")
    if event.via == Via.CHANNEL:
        # A customer's message (a reply reopening the ticket): their doing.
        return str(names.ticket.requester)
    return _("Tiski")


def _say(sentence: str, **values: object) -> SafeString:
    """A translated sentence with its values escaped (links stay links)."""
    escaped = {key: conditional_escape(value) for key, value in values.items()}
    return mark_safe(conditional_escape(sentence) % escaped)  # noqa: S308 - all parts escaped


Renderer = Callable[[Event, Names, str], SafeString | None]


def _hidden(event: Event, names: Names, who: str) -> None:
    return None


def _created(event: Event, names: Names, who: str) -> SafeString:
    channel = event.meta.get("channel", "")
    label = Channel(channel).label if channel in Channel.values else channel
    return _say(_("%(who)s created the ticket (%(channel)s)"), who=who, channel=label)


def _status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


def _status(event: Event, names: Names, who: str) -> SafeString:
    old, new = event.old_value, event.new_value
    if new == Status.SOLVED:
        return _say(_("%(who)s solved the ticket"), who=who)
    if new == Status.CLOSED:
        return _say(_("%(who)s closed the ticket"), who=who)
    if old in (Status.SOLVED, Status.CLOSED) and new:
        return _say(
            _("%(who)s reopened the ticket (status %(status)s)"),
            who=who,
            status=_status_label(new),
        )
    return _say(
        _("%(who)s changed the status: %(old)s → %(new)s"),
        who=who,
        old=_status_label(old) if old else _("(none)"),
        new=_status_label(new),
    )


def _priority(event: Event, names: Names, who: str) -> SafeString:
    labels = dict(priority_choices())  # the desk's own names for priorities

    def label(value: str) -> str:
        return str(labels.get(value, value))

    return _say(
        _("%(who)s changed the priority: %(old)s → %(new)s"),
        who=who,
        old=label(event.old_value) if event.old_value else _("(none)"),
        new=label(event.new_value),
    )


def _type(event: Event, names: Names, who: str) -> SafeString:
    old = names.types.get(event.old_value, "")
    new = names.types.get(event.new_value, "")
    if not new:
        return _say(_("%(who)s cleared the ticket type (was %(old)s)"), who=who, old=old or "–")
    if not old:
        return _say(_("%(who)s set the ticket type: %(new)s"), who=who, new=new)
    return _say(_("%(who)s changed the ticket type: %(old)s → %(new)s"), who=who, old=old, new=new)


def _assignee(event: Event, names: Names, who: str) -> SafeString:
    old = names.users.get(event.old_value, "")
    new = names.users.get(event.new_value, "")
    if not event.new_value:
        return _say(_("%(who)s unassigned %(old)s"), who=who, old=old or "–")
    if event.actor_id and str(event.actor_id) == event.new_value:
        return _say(_("%(who)s took the ticket"), who=who)
    if event.meta.get("absence_of"):
        return _say(
            _("%(who)s handed the ticket to %(new)s while %(old)s is away"),
            who=who,
            new=new,
            old=old or "–",
        )
    if not event.old_value:
        return _say(_("%(who)s assigned the ticket to %(new)s"), who=who, new=new)
    return _say(_("%(who)s changed the assignee: %(old)s → %(new)s"), who=who, old=old, new=new)


def _team(event: Event, names: Names, who: str) -> SafeString:
    old = names.teams.get(event.old_value, "")
    new = names.teams.get(event.new_value, "")
    if not event.new_value:
        return _say(_("%(who)s removed the ticket from team %(old)s"), who=who, old=old or "–")
    if not event.old_value:
        return _say(_("%(who)s gave the ticket to team %(new)s"), who=who, new=new)
    return _say(_("%(who)s moved the ticket: team %(old)s → %(new)s"), who=who, old=old, new=new)


def _subject(event: Event, names: Names, who: str) -> SafeString:
    return _say(_("%(who)s changed the subject to “%(new)s”"), who=who, new=event.new_value)


def _due_at(event: Event, names: Names, who: str) -> SafeString:
    if not event.new_value:
        return _say(_("%(who)s removed the due date"), who=who)
    return _say(_("%(who)s set the due date: %(when)s"), who=who, when=_when(event.new_value))


def _requester(event: Event, names: Names, who: str) -> SafeString:
    return _say(
        _("%(who)s changed the requester: %(old)s → %(new)s"),
        who=who,
        old=names.contacts.get(event.old_value, "–"),
        new=names.contacts.get(event.new_value, "–"),
    )


def _parent(event: Event, names: Names, who: str) -> SafeString:
    old = names.numbers.get(event.old_value)
    new = names.numbers.get(event.new_value)
    if new is None:
        if old is None:
            return _say(_("%(who)s detached the ticket from its parent ticket"), who=who)
        return _say(
            _("%(who)s detached the ticket from parent ticket %(old)s"),
            who=who,
            old=ticket_ref(old),
        )
    return _say(
        _("%(who)s made the ticket a child ticket of %(new)s"), who=who, new=ticket_ref(new)
    )


def _tags(event: Event, names: Names, who: str) -> SafeString:
    if event.new_value:
        return _say(_("%(who)s added tag %(tag)s"), who=who, tag=event.new_value)
    return _say(_("%(who)s removed tag %(tag)s"), who=who, tag=event.old_value)


def _ccs(event: Event, names: Names, who: str) -> SafeString:
    if not event.new_value and event.old_value:
        return _say(_("%(who)s removed %(people)s from the CCs"), who=who, people=event.old_value)
    return _say(_("%(who)s copied %(people)s on the ticket"), who=who, people=event.new_value)


def _message_moved(event: Event, names: Names, who: str) -> SafeString:
    return _say(
        _("%(who)s moved a message to ticket %(ticket)s"),
        who=who,
        ticket=ticket_link(event.new_value),
    )


def _message_moved_in(event: Event, names: Names, who: str) -> SafeString:
    return _say(
        _("%(who)s moved a message here from ticket %(ticket)s"),
        who=who,
        ticket=ticket_link(event.old_value),
    )


def _link(event: Event, names: Names, who: str) -> SafeString:
    return _say(
        _("%(who)s linked this ticket: it mentions ticket %(ticket)s"),
        who=who,
        ticket=ticket_ref(event.new_value),
    )


def _linked_from(event: Event, names: Names, who: str) -> SafeString:
    return _say(
        _("%(who)s linked this ticket: ticket %(ticket)s mentions it"),
        who=who,
        ticket=ticket_ref(event.new_value),
    )


def _merged_into_undone(event: Event, names: Names, who: str) -> SafeString:
    return _say(
        _("%(who)s undid the merge into ticket %(ticket)s"),
        who=who,
        ticket=ticket_link(event.old_value),
    )


def _merged_in_undone(event: Event, names: Names, who: str) -> SafeString:
    return _say(
        _("%(who)s undid the merge of ticket %(ticket)s into this ticket"),
        who=who,
        ticket=ticket_link(event.old_value),
    )


def _message_meta(event: Event, names: Names, who: str) -> SafeString:
    labels = [str(META_LABELS[k]()) if k in META_LABELS else k for k in event.meta.get("keys", [])]
    return _say(
        _("%(who)s updated the call details: %(details)s"),
        who=who,
        details=", ".join(dict.fromkeys(labels)),
    )


def _sla_target(event: Event) -> str:
    target = event.meta.get("target", "")
    return str(SLA_TARGETS[target]()) if target in SLA_TARGETS else _("service level")


def _sla_warning(event: Event, names: Names, who: str) -> SafeString:
    return _say(
        _("The %(target)s target is close: due %(when)s"),
        target=_sla_target(event),
        when=_when(event.new_value),
    )


def _sla_breach(event: Event, names: Names, who: str) -> SafeString:
    return _say(
        _("The %(target)s target was missed: it was due %(when)s"),
        target=_sla_target(event),
        when=_when(event.new_value),
    )


def _satisfaction_word(score: str) -> str:
    # CSAT 1-5 as reports count it: 4-5 satisfied, 3 neutral, 1-2 dissatisfied.
    if score in ("4", "5"):
        return _("satisfied")
    if score == "3":
        return _("neutral")
    return _("dissatisfied")


def _satisfaction(event: Event, names: Names, who: str) -> SafeString:
    if event.old_value:
        return _say(
            _("%(who)s changed the satisfaction rating from %(old)s to %(new)s of 5 (%(word)s)"),
            who=who,
            old=event.old_value,
            new=event.new_value,
            word=_satisfaction_word(event.new_value),
        )
    return _say(
        _("%(who)s rated the service %(new)s of 5 (%(word)s)"),
        who=who,
        new=event.new_value,
        word=_satisfaction_word(event.new_value),
    )


def _satisfaction_comment(event: Event, names: Names, who: str) -> SafeString:
    return _say(
        _("%(who)s commented in the satisfaction survey: “%(comment)s”"),
        who=who,
        comment=event.new_value,
    )


def _escalation(event: Event, names: Names, who: str) -> SafeString:
    # Whom it went to follows as the assignee and team lines of the same moment.
    return _say(
        _("%(who)s escalated the ticket (level %(level)s): “%(reason)s”"),
        who=who,
        level=event.new_value,
        reason=event.meta.get("reason", ""),
    )


def _solve_override(event: Event, names: Names, who: str) -> SafeString:
    return _say(
        _("%(who)s solved the ticket although its child tickets %(numbers)s were open"),
        who=who,
        numbers=event.new_value,
    )


def _children_solved(event: Event, names: Names, who: str) -> SafeString:
    return _say(_("Every child ticket is solved"))


def _side_conversation(event: Event, names: Names, who: str) -> SafeString:
    # `who` of the meta is the third party (their addresses); the agent is `who`.
    party = event.meta.get("who", "")
    what = event.new_value
    if what == "reply":
        return _say(_("Reply from %(party)s in a side conversation"), party=party)
    if what == "reopened":
        return _say(_("A side conversation with %(party)s was opened again"), party=party)
    if what == "closed":
        return _say(_("%(who)s closed the side conversation with %(party)s"), who=who, party=party)
    return _say(_("%(who)s started a side conversation with %(party)s"), who=who, party=party)


def _custom_field(event: Event, names: Names, who: str) -> SafeString:
    key = event.field.removeprefix(CUSTOM_FIELD_PREFIX)
    definition = names.custom.get(key)
    label = definition.label if definition else key
    old = display_value(definition, event.old_value)
    new = display_value(definition, event.new_value)
    if not event.new_value:
        return _say(_("%(who)s cleared %(field)s (was %(old)s)"), who=who, field=label, old=old)
    if not event.old_value:
        return _say(_("%(who)s set %(field)s: %(new)s"), who=who, field=label, new=new)
    return _say(
        _("%(who)s changed %(field)s: %(old)s → %(new)s"), who=who, field=label, old=old, new=new
    )


def _unknown(event: Event, names: Names, who: str) -> SafeString:
    # A field this build does not know yet: say that something changed,
    # never the raw field name and value.
    return _say(_("%(who)s changed the ticket"), who=who)


# One renderer per event kind; field events (and SLA events) by their field.
# A renderer returns None for bookkeeping nobody needs to read.
KIND_RENDERERS: dict[str, Renderer] = {
    EventKind.CREATED: _created,
    # The message itself is in the conversation.
    EventKind.MESSAGE: _hidden,
}
FIELD_RENDERERS: dict[str, Renderer] = {
    "status": _status,
    "priority": _priority,
    "type": _type,
    "assignee": _assignee,
    "team": _team,
    "subject": _subject,
    "due_at": _due_at,
    "requester": _requester,
    "parent": _parent,
    "tags": _tags,
    "ccs": _ccs,
    "message_moved": _message_moved,
    "message_moved_in": _message_moved_in,
    "link": _link,
    "linked_from": _linked_from,
    # Shown by the system messages the merge writes (with the agent as
    # author); an event line beside each would say the same thing twice.
    "merged_in": _hidden,
    "merged_into": _hidden,
    "merged_into_undone": _merged_into_undone,
    "merged_in_undone": _merged_in_undone,
    "message_meta": _message_meta,
    "sla_warning": _sla_warning,
    "sla_breach": _sla_breach,
    "satisfaction": _satisfaction,
    "satisfaction_comment": _satisfaction_comment,
    "escalation_level": _escalation,
    "solve_override": _solve_override,
    "children_solved": _children_solved,
    "side_conversation": _side_conversation,
}
QUIET_FIELDS = tuple(name for name, render in FIELD_RENDERERS.items() if render is _hidden)


def describe_event(event: Event, names: Names) -> SafeString | None:
    """The event as a sentence for people, or None when it is bookkeeping."""
    render = KIND_RENDERERS.get(event.kind) or FIELD_RENDERERS.get(event.field, _unknown)
    if event.field.startswith(CUSTOM_FIELD_PREFIX):
        render = _custom_field
    return render(event, names, _who(event, names))


# How many messages the ticket page shows at first; older ones load on demand,
# so a conversation of 500 messages opens as fast as one of 30.
PAGE_MESSAGES = 30
# A link to an old message opens the window one message before it (+1 for the
# message itself), so the reader sees what it answered.
LINK_CONTEXT = 2


@dataclass(frozen=True)
class TimelineWindow:
    """A stretch of the conversation: its entries, oldest first, and whether
    older messages exist before it (``older_than`` is the first shown message)."""

    entries: list[TimelineEntry]
    has_older: bool
    older_than: int | None


def build_timeline(ticket: Ticket) -> list[TimelineEntry]:
    """The whole conversation (exports and tests; the page uses ``timeline_window``)."""
    return _entries(ticket, _message_rows(ticket), start=None, end=None)


def timeline_window(
    ticket: Ticket,
    *,
    before: int | None = None,
    include: int | None = None,
    since: int | None = None,
    size: int = PAGE_MESSAGES,
    contacts: Sequence[Contact] = (),
) -> TimelineWindow:
    """The latest ``size`` messages (those before message ``before`` when given)
    and the events among them. ``include`` widens the window down to that
    message and the one before it, so a link to an old message still lands on
    it; ``since`` widens it down to exactly that message, so a live refresh
    keeps what the page already shows (older messages the agent loaded).

    Events belong to the window that holds the messages around them: those
    older than the window's first message come with the older window.

    ``contacts`` get their identities read in the authors' query: the page's
    requester is nearly always one of the authors, and its card would
    otherwise read the same rows again.
    """
    rows = ticket.messages.order_by("-created_at", "-pk")
    end = None
    if before is not None:
        anchor = ticket.messages.filter(pk=before).values_list("created_at", "pk").first()
        if anchor is not None:
            end = anchor
            rows = rows.filter(
                Q(created_at__lt=anchor[0]) | Q(created_at=anchor[0], pk__lt=anchor[1])
            )
    else:
        # A message id of another ticket (or a moved one) matches nothing here.
        for anchor_id, margin in ((include, LINK_CONTEXT), (since, 0)):
            newer = _count_from(ticket, anchor_id)
            if newer:
                size = max(size, newer + margin)
    page = _with_author_identities(_with_files_and_delivery(rows)[: size + 1], contacts)
    has_older = len(page) > size
    messages = page[:size][::-1]
    start = (messages[0].created_at, messages[0].pk) if has_older and messages else None
    entries = _entries(ticket, messages, start=start, end=end)
    return TimelineWindow(
        entries=entries,
        has_older=has_older,
        older_than=messages[0].pk if has_older and messages else None,
    )


def _count_from(ticket: Ticket, message_id: int | None) -> int:
    """How many of the ticket's messages are that message or newer (0: not its message)."""
    if message_id is None:
        return 0
    anchor = ticket.messages.filter(pk=message_id).values_list("created_at", "pk").first()
    if anchor is None:
        return 0
    return ticket.messages.filter(
        Q(created_at__gt=anchor[0]) | Q(created_at=anchor[0], pk__gte=anchor[1])
    ).count()


def _with_files_and_delivery(rows: QuerySet[Message]) -> QuerySet[Message]:
    # Read into plain lists (to_attr): a prefetch into the related managers
    # builds a queryset per message and list, a hundred on a page, for rows
    # that are only looped over (attachments_of, the delivery lines).
    return rows.select_related("author_user", "author_contact").prefetch_related(
        Prefetch("attachments", to_attr="listed_attachments"),
        Prefetch("outbound_emails", to_attr="listed_outbound_emails"),
        Prefetch("outbound_messages", to_attr="listed_outbound_messages"),
    )


def attachments_of(message: Message) -> list[Attachment]:
    """The message's attachments: the list the timeline read with it, else read now."""
    listed = getattr(message, "listed_attachments", None)
    return listed if listed is not None else list(message.attachments.all())


def _with_author_identities(rows: Iterable[Message], contacts: Sequence[Contact]) -> list[Message]:
    """The messages, their authors' identities (a contact's name may be its
    address) and those of ``contacts`` read in one query."""
    messages = list(rows)
    authors = [m.author_contact for m in messages if m.author_contact is not None]
    prefetch_related_objects([*authors, *contacts], "identities")
    return messages


def _message_rows(ticket: Ticket) -> list[Message]:
    return _with_author_identities(_with_files_and_delivery(ticket.messages.all()), ())


def _entries(
    ticket: Ticket,
    messages: list[Message],
    *,
    start: tuple[datetime, int] | None,
    end: tuple[datetime, int] | None,
) -> list[TimelineEntry]:
    events = ticket.events.exclude(kind=EventKind.MESSAGE).exclude(field__in=QUIET_FIELDS)
    # An event in the same instant as a window's first message sorts after it
    # (see ``order``), so it belongs to this window; one at the next window's
    # first message belongs to that one.
    if start is not None:
        events = events.filter(created_at__gte=start[0])
    if end is not None:
        events = events.filter(created_at__lt=end[0])
    events = list(events.select_related("actor"))
    names = _lookup(ticket, events)
    entries = [TimelineEntry(at=m.created_at, message=m) for m in messages]
    for event in events:
        text = describe_event(event, names)
        if text is not None:
            entries.append(TimelineEntry(at=event.created_at, event=event, text=text))

    # "Ticket created" comes first; other events sort after a message written
    # in the same instant ("reply, then status changed"), the order they happened.
    def order(entry: TimelineEntry) -> tuple:
        if entry.event is not None and entry.event.kind == EventKind.CREATED:
            return (entry.at, 0)
        return (entry.at, 1 if entry.message else 2)

    entries.sort(key=order)
    return entries


_CID_SRC = re.compile(r"""src=(["'])cid:([^"']+)\1""", re.IGNORECASE)


FOLD_OPEN = '<div class="tiski-folded">'


def _text_html(text: str) -> str:
    return "<p>" + "<br>".join(escape(text).splitlines()) + "</p>"


def message_html(message: Message) -> SafeString:
    """Stored (already sanitised) HTML ready to show.

    Inline cid: images point at our download URL; the quoted history and
    signature that intake marked (a ``tiski-folded`` block in the HTML, or
    ``fold_text_at`` for plain text) stay in the page but fold behind a
    toggle.
    """
    if not message.html:
        fold_at = message.meta.get("fold_text_at")
        text = message.text
        if isinstance(fold_at, int) and 0 < fold_at < len(text) and text[fold_at:].strip():
            return mark_safe(  # noqa: S308 - escaped above
                _text_html(text[:fold_at]) + FOLD_OPEN + _text_html(text[fold_at:]) + "</div>"
            )
        return mark_safe(_text_html(text))  # noqa: S308 - escaped
    by_cid = {a.content_id.strip("<>"): a for a in attachments_of(message) if a.content_id}

    def replace(match: re.Match[str]) -> str:
        attachment = by_cid.get(match.group(2).strip("<>"))
        if attachment is None:
            return 'src=""'
        url = reverse("desk:attachment", args=[attachment.pk, attachment.filename])
        return f'src="{escape(url)}"'

    return mark_safe(_CID_SRC.sub(replace, message.html))  # noqa: S308 - sanitised on intake


def message_document(message: Message) -> str:
    """An HTML body as a whole document for the message's sandboxed frame.

    The frame (``sandbox`` without ``allow-scripts``) is the wall behind the
    sanitiser: even HTML that slipped through cannot run script or reach
    the desk's page and session. Links open in a new tab; only the frame's
    own stylesheet applies, so the sender's markup never meets the desk's.
    """
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer"><base target="_blank">'
        f'<link rel="stylesheet" href="{escape(static("desk/message-frame.css"))}">'
        f"</head><body>{message_html(message)}</body></html>"
    )
