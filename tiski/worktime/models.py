"""Handling time: how long agents actually worked on each ticket.

One table holds every piece of it, so a sum per ticket, agent, team or
type is one aggregate: measured sessions (a ticket page open in a focused,
active tab, grown by heartbeats), minutes added by hand, and corrections
(an agent setting their own total; stored as the difference, so the
measured rows stay as they were measured).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EntrySource(models.TextChoices):
    MEASURED = "measured", _("Measured")
    MANUAL = "manual", _("Added by hand")
    CORRECTION = "correction", _("Correction")


class WorkEntry(models.Model):
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="work_entries"
    )
    # Whose time this is.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="work_entries"
    )
    source = models.CharField(_("source"), max_length=12, choices=EntrySource.choices)
    # Negative only for a correction that takes time off.
    seconds = models.IntegerField(_("seconds"), default=0)
    # When the work happened: a session's start, or when a manual entry was made.
    # Reports put an entry in the period this falls in.
    at = models.DateTimeField(_("time"), default=timezone.now)
    # Measured sessions: the tab's own id and its latest heartbeat.
    session = models.UUIDField(null=True, blank=True, unique=True)
    last_beat_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Who wrote a manual entry or correction (a manager may correct an agent's time).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("handling time entry")
        verbose_name_plural = _("handling time entries")
        indexes = [
            models.Index(fields=["ticket", "agent"], name="workentry_ticket_agent"),
            models.Index(fields=["at"], name="workentry_at"),
            models.Index(fields=["agent", "at"], name="workentry_agent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} #{self.ticket_id} {self.seconds}s ({self.source})"


class WorktimeSettings(models.Model):
    """The one row of handling-time settings (pk 1), on Settings -> Surveys and reports."""

    tracking_enabled = models.BooleanField(
        _("measure handling time on the ticket page"),
        default=True,
        help_text=_(
            "Off: ticket pages send no activity pings and nothing is measured;"
            " minutes added by hand still count."
        ),
    )

    class Meta:
        verbose_name = _("handling time settings")
        verbose_name_plural = _("handling time settings")

    def __str__(self) -> str:
        return str(_("Handling time"))

    @classmethod
    def load(cls) -> WorktimeSettings:
        """The one row (created on first use; pk 1 keeps it single)."""
        row, _created = cls.objects.get_or_create(pk=1)
        return row

    @classmethod
    def tracking(cls) -> bool:
        """Whether handling time is measured now (no row yet: the default, on)."""
        value = cls.objects.filter(pk=1).values_list("tracking_enabled", flat=True).first()
        return True if value is None else value
