"""The people and companies Tiski serves.

A contact is one person however they reach us; each address or number they
use is an identity, unique per kind, so a message from any of them finds the
same person.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .phones import search_fragments, to_e164


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    # Whether the organisation's people read each other's requests in the
    # customer portal. None follows the help centre's default, so an admin
    # can change every undecided organisation with one switch.
    portal_shared = models.BooleanField(
        _("requests shared in the portal"), null=True, blank=True, default=None
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name


class OrganisationDomain(models.Model):
    """An email domain whose senders belong to the organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("domain"), max_length=253, unique=True)

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.domain

    def save(self, *args, **kwargs) -> None:
        self.domain = self.domain.strip().lower()
        super().save(*args, **kwargs)


class NameSource(models.TextChoices):
    """Where a contact's name came from, which decides what may replace it."""

    # Rows from before the source was recorded: kept, like the person's own.
    UNKNOWN = "", _("unknown")
    # Seen in someone else's To or Cc: a guess, only until the person names themselves.
    COPIED = "copied", _("someone else's mail")
    # The person's own From.
    OWN = "own", _("the person's own mail")
    # Typed by an agent: never replaced by mail.
    AGENT = "agent", _("an agent")


class ContactQuerySet(models.QuerySet):
    def matching(self, query: str) -> ContactQuerySet:
        """Contacts whose name, identity or organisation contains ``query``.

        A query that looks like a (part of a) phone number also matches
        stored E.164 numbers however it was written: "044 758 6049" and
        "0447586" find "+358447586049" (see `phones.search_fragments`).
        """
        query = query.strip()
        if not query:
            return self.none()
        condition = (
            models.Q(name__icontains=query)
            | models.Q(identities__value__icontains=query.lower())
            | models.Q(organisation__name__icontains=query)
        )
        for fragment in search_fragments(query):
            condition |= models.Q(
                identities__kind=IdentityKind.PHONE, identities__value__contains=fragment
            )
        return self.filter(condition).distinct()


class Contact(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    name_source = models.CharField(
        _("name from"), max_length=8, choices=NameSource.choices, blank=True, default=""
    )
    language = models.CharField(
        _("language"), max_length=8, choices=[("fi", "Suomi"), ("en", "English")], default="fi"
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("organisation"),
    )
    notes = models.TextField(_("notes"), blank=True)
    # Set by the contact (the survey mail's unsubscribe link) or an agent:
    # no satisfaction or recommendation surveys to this person.
    surveys_opt_out = models.BooleanField(_("no satisfaction surveys"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name or self.primary_identity_value or f"#{self.pk}"

    @property
    def primary_identity_value(self) -> str:
        identity = next(iter(self.identities.all()), None)
        return identity.value if identity else ""

    def identity_values(self, kind: str) -> list[str]:
        return [i.value for i in self.identities.all() if i.kind == kind]

    @property
    def emails(self) -> list[str]:
        return self.identity_values(IdentityKind.EMAIL)

    @property
    def phones(self) -> list[str]:
        return self.identity_values(IdentityKind.PHONE)


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    MESSENGER = "messenger", _("Messenger")
    INSTAGRAM = "instagram", _("Instagram")
    TELEGRAM = "telegram", _("Telegram")
    CHAT = "chat", _("Web chat")


class Identity(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=20, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=320)
    # Set when mail to this address bounced permanently; automatic mail skips it.
    undeliverable_at = models.DateTimeField(_("undeliverable since"), null=True, blank=True)
    undeliverable_reason = models.CharField(_("why undeliverable"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_kind_value")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def save(self, *args, **kwargs) -> None:
        self.value = normalise_identity(self.kind, self.value)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # Normalised before the unique check runs, so the admin and the desk
        # report "already exists" for "040 123 4567" when "+358401234567" is.
        if self.kind == IdentityKind.PHONE and self.value and to_e164(self.value) is None:
            raise ValidationError(
                {"value": _("“%(value)s” is not a phone number.") % {"value": self.value}}
            )
        self.value = normalise_identity(self.kind, self.value)


def normalise_identity(kind: str, value: str) -> str:
    """The canonical form that makes identities comparable.

    Email addresses compare case-insensitively in practice; phone numbers
    become E.164 in the desk's region (``TISKI_PHONE_REGION``). Something
    that does not parse as a number (a short internal extension) keeps its
    digits, so it is stored rather than lost; the forms refuse it upfront.
    """
    value = value.strip()
    if kind == IdentityKind.EMAIL:
        return value.lower()
    if kind == IdentityKind.PHONE:
        e164 = to_e164(value)
        if e164:
            return e164
        keep_plus = value.startswith("+")
        digits = "".join(ch for ch in value if ch.isdigit())
        return ("+" if keep_plus else "") + digits
    return value


class ContactMerge(models.Model):
    """One merge of a duplicate contact into another, with what undoing it needs.

    The duplicate's row is deleted on merge and re-created, with the same
    id, on undo; ``moved`` lists exactly which rows were repointed, so undo
    moves back those and nothing that arrived for the kept contact since
    (see `tiski.customers.merge`). The table was first made by the phone
    app; migration customers 0003 took it over with its rows.
    """

    target = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="merges_in")
    source_id = models.PositiveBigIntegerField()
    source_snapshot = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contact merge")
        verbose_name_plural = _("contact merges")

    def __str__(self) -> str:
        name = self.source_snapshot.get("name") or f"#{self.source_id}"
        return f"{name} → {self.target_id}"


class CustomerChange(models.Model):
    """One save of a contact or an organisation in the desk: who, when, what.

    ``changes`` is a list of ``{"field", "old", "new"}``; an identity or a
    domain added has no ``old``, one removed no ``new``. Values are stored
    as the words shown (an organisation's name, not its id), so the history
    still reads right after the organisation is renamed or deleted.
    """

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="changes"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="changes"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.BooleanField(default=False)
    changes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contact change")
        verbose_name_plural = _("contact changes")

    def __str__(self) -> str:
        return f"{self.contact or self.organisation} @ {self.created_at:%Y-%m-%d %H:%M}"
