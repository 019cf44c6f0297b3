"""What an import made from which record of the old desk.

Re-running an import looks its records up here, so it updates what it made
instead of making it again, and the old ticket number stays findable.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    ZENDESK = "zendesk", "Zendesk"
    FRESHDESK = "freshdesk", "Freshdesk"


# The prefix of an old ticket number as agents type it: "ZD#12345".
PREFIXES = {Source.ZENDESK: "ZD", Source.FRESHDESK: "FD"}


class RecordKind(models.TextChoices):
    TICKET = "ticket", _("Ticket")
    MESSAGE = "message", _("Message")
    CONTACT = "contact", _("Contact")
    USER = "user", _("User")
    ORGANISATION = "organisation", _("Organisation")
    TEAM = "team", _("Team")


class SourceRecord(models.Model):
    """One record of the old desk and the row it became here."""

    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=RecordKind.choices)
    source_id = models.CharField(_("id in the source"), max_length=100)
    # The id of the Ticket, Message, Contact, User, Organisation or Team.
    object_id = models.PositiveBigIntegerField()
    # Fields from the source that have no column here (custom fields etc.).
    meta = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "source_id"], name="movein_record_unique"
            )
        ]
        indexes = [models.Index(fields=["kind", "object_id"], name="movein_record_object")]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.source_id}"


class ExportPosition(models.Model):
    """How far a live import from a vendor's API got.

    Saved after each page of tickets is written, so a run that stopped
    (network, rate limit, a crash) continues there, and a later run only
    reads what changed since: Zendesk's export cursor, or Freshdesk's
    ``updated_since``.
    """

    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    # The vendor's host ("acme.zendesk.com"): one desk may move in from two accounts.
    account = models.CharField(_("account"), max_length=255)
    position = models.CharField(_("position"), max_length=2000)
    saved_at = models.DateTimeField(_("saved"), auto_now=True)

    class Meta:
        verbose_name = _("import position")
        verbose_name_plural = _("import positions")
        constraints = [
            models.UniqueConstraint(fields=["source", "account"], name="movein_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.account}: {self.position}"
