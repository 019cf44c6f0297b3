"""Business calendars, SLA policies, and each ticket's clocks."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiski.calendars import BusinessCalendar

from .clock import Targets

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
_INTERVAL = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*[-–]\s*(\d{1,2})(?:[:.](\d{2}))?\s*$")


def parse_intervals(text: str) -> tuple[tuple[time, time], ...]:
    """'8-11, 12:00-16.30' -> ((08:00, 11:00), (12:00, 16:30)); '24:00' ends a day."""
    intervals = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _INTERVAL.match(part)
        if not match:
            raise ValidationError(
                _("Write hours like 8:00-16:00 or 8-11, 12-16, not “%(v)s”.") % {"v": part}
            )
        h1, m1, h2, m2 = (int(g) if g else 0 for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValidationError(_("“%(v)s” is not a time of day.") % {"v": part})
        end = time(0, 0) if h2 == 24 else time(h2, m2)
        intervals.append((time(h1, m1), end))
    return tuple(intervals)


def format_intervals(intervals) -> str:
    def fmt(t: time, is_end: bool) -> str:
        return "24:00" if is_end and t == time(0, 0) else t.strftime("%H:%M")

    return ", ".join(f"{fmt(a, False)}-{fmt(b, True)}" for a, b in intervals)


class Calendar(models.Model):
    """A business calendar admins edit; `to_calendar()` feeds the pure math."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Helsinki")
    country = models.CharField(
        _("public holidays of country"),
        max_length=2,
        default="FI",
        blank=True,
        help_text=_("Two letters, e.g. FI; empty: none."),
    )
    subdivision = models.CharField(_("region"), max_length=10, blank=True)
    # {"0": "08:00-16:00", ...}: weekday -> intervals as people write them
    weekly_hours = models.JSONField(_("weekly hours"), default=dict)
    closed_dates = models.JSONField(_("extra closed days"), default=list, blank=True)
    # {"2026-12-23": "09:00-12:00"}: a date's hours instead of the usual ones
    open_dates = models.JSONField(_("extra or changed open days"), default=dict, blank=True)
    is_default = models.BooleanField(_("default calendar"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def to_calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            time_zone=self.time_zone,
            weekly={
                int(day): parse_intervals(text)
                for day, text in self.weekly_hours.items()
                if text.strip()
            },
            country=self.country or None,
            subdivision=self.subdivision or None,
            closed_dates=frozenset(date.fromisoformat(d) for d in self.closed_dates),
            open_dates={
                date.fromisoformat(d): parse_intervals(text) for d, text in self.open_dates.items()
            },
        )

    def clean(self) -> None:
        try:
            self.to_calendar()
        except (ValueError, KeyError) as exc:
            raise ValidationError(str(exc)) from exc

    @classmethod
    def default(cls) -> Calendar:
        return (
            cls.objects.filter(is_default=True).first()
            or cls.objects.order_by("pk").first()
            or cls(name="Office hours", weekly_hours={str(d): "08:00-16:00" for d in range(5)})
        )


PRIORITIES = ("urgent", "high", "normal", "low")
TARGET_KINDS = ("first_reply", "next_reply", "resolution")


class SlaPolicy(models.Model):
    """Targets for the tickets a policy matches; the first matching policy applies.

    An empty condition matches anything, so a policy with no conditions at
    the end of the list is the catch-all.
    """

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, verbose_name=_("calendar"))
    match_priorities = models.JSONField(_("priorities"), default=list, blank=True)
    match_channels = models.JSONField(_("channels"), default=list, blank=True)
    match_tags = models.JSONField(_("tags (any of)"), default=list, blank=True)
    match_types = models.ManyToManyField("tickets.TicketType", blank=True, verbose_name=_("types"))
    match_teams = models.ManyToManyField("accounts.Team", blank=True, verbose_name=_("teams"))
    match_organisations = models.ManyToManyField(
        "customers.Organisation", blank=True, verbose_name=_("organisations")
    )
    # {"urgent": {"first_reply": 60, "next_reply": 120, "resolution": 480}, ...} in minutes
    targets = models.JSONField(_("targets (minutes of business time)"), default=dict)
    warn_before_minutes = models.PositiveIntegerField(
        _("warn this many minutes before"), default=60
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name

    def targets_for(self, priority: str) -> Targets:
        minutes = self.targets.get(priority) or {}

        def get(kind: str) -> timedelta | None:
            value = minutes.get(kind)
            return timedelta(minutes=int(value)) if value else None

        return Targets(get("first_reply"), get("next_reply"), get("resolution"))

    def clean(self) -> None:
        for priority, kinds in (self.targets or {}).items():
            if priority not in PRIORITIES or not isinstance(kinds, dict):
                raise ValidationError(
                    _("Targets are given per priority: %(p)s.") % {"p": ", ".join(PRIORITIES)}
                )
            for kind, value in kinds.items():
                if kind not in TARGET_KINDS or not (
                    value is None or (isinstance(value, int) and value > 0)
                ):
                    raise ValidationError(
                        _("Each target is a whole number of minutes: %(k)s.")
                        % {"k": ", ".join(TARGET_KINDS)}
                    )


class SlaState(models.TextChoices):
    NONE = "none", _("No target")
    ON_TRACK = "on_track", _("On track")
    WARNING = "warning", _("Near breach")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")


class TicketSla(models.Model):
    """A ticket's current SLA position: which policy, which deadline is next."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="sla"
    )
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True)
    next_kind = models.CharField(max_length=20, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    # The deadline a warning / breach was already announced for, so the
    # periodic check announces each once.
    warned_for = models.DateTimeField(null=True, blank=True)
    breached_for = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["warn_at"], name="ticketsla_warn_at")]

    def __str__(self) -> str:
        return f"SLA of ticket {self.ticket_id}"


class SlaTarget(models.Model):
    """One target clock of one ticket; reports count achieved and breached ones."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_targets"
    )
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True)
    kind = models.CharField(max_length=20)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    achieved_at = models.DateTimeField(null=True, blank=True)
    breached = models.BooleanField(default=False)

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "kind", "started_at"], name="slatarget_unique"
            )
        ]
        indexes = [models.Index(fields=["achieved_at"], name="slatarget_achieved")]

    def __str__(self) -> str:
        return f"{self.kind} of ticket {self.ticket_id}"
