"""The first-hour checklist for a new desk, computed from the data.

A step ticks itself when what it asks for exists, so it cannot drift from
the truth: nobody ticks anything by hand. Each step links to the setting
that does it; a section another part of Settings has not built yet falls
back to the next best page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiski.accounts.models import User
from tiski.connectors.models import InboundMethod, Mailbox
from tiski.core.models import DeskSettings
from tiski.macros.models import Macro
from tiski.sla.models import Calendar

from .models import SettingChange


@dataclass(frozen=True)
class Step:
    key: str
    title: Promise
    hint: Promise
    url: str | None
    done: bool


def _first_url(*names: str) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def _mailbox_connected() -> bool:
    return Mailbox.objects.filter(active=True).exclude(inbound_method=InboundMethod.NONE).exists()


def _colleagues_invited() -> bool:
    return User.objects.filter(is_active=True).count() > 1


# What migrations ship: a desk that still has only this has not set its hours.
SHIPPED_WEEK = {str(day): "08:00-16:00" for day in range(5)}


def _business_hours_set() -> bool:
    """Some calendar differs from the shipped office hours, or an admin saved one."""
    for calendar in Calendar.objects.only("weekly_hours", "closed_dates", "open_dates"):
        if calendar.weekly_hours != SHIPPED_WEEK or calendar.closed_dates or calendar.open_dates:
            return True
    return SettingChange.objects.filter(section="calendars").exists()


def _acknowledgement_checked() -> bool:
    # Turned on, or its text written: either way someone has looked at it.
    written = ~Q(ack_body_fi="") | ~Q(ack_body_en="")
    return Mailbox.objects.filter(Q(auto_acknowledge=True) | written).exists()


def _ready_answer_created() -> bool:
    return Macro.objects.exists()


CHECKS: list[tuple[str, Promise, Promise, tuple[str, ...], Callable[[], bool]]] = [
    (
        "mailbox",
        _("Connect the first mailbox"),
        _("Customers' mail becomes tickets."),
        ("setup:mailboxes",),
        _mailbox_connected,
    ),
    (
        "colleagues",
        _("Invite colleagues"),
        _("Work the queue together."),
        ("setup:agent-invite",),
        _colleagues_invited,
    ),
    (
        "hours",
        _("Set business hours"),
        _("Service levels and the promised reply time count only working time."),
        ("setup:calendars",),
        _business_hours_set,
    ),
    (
        "acknowledgement",
        _("Check the acknowledgement text"),
        _("The automatic reply tells customers when to expect an answer."),
        ("setup:acknowledgement", "setup:mailboxes"),
        _acknowledgement_checked,
    ),
    (
        "ready_answer",
        _("Create a first ready answer"),
        _("Answer common questions with a few keystrokes."),
        ("setup:macros",),
        _ready_answer_created,
    ),
]


def steps() -> list[Step]:
    return [
        Step(key, title, hint, _first_url(*url_names), check())
        for key, title, hint, url_names, check in CHECKS
    ]


def show_on_inbox(user: User, settings_row: DeskSettings | None) -> list[Step] | None:
    """The steps to show an admin on the inbox, or None (not an admin,
    dismissed, or all done)."""
    if not getattr(user, "is_admin", False):
        return None
    if settings_row is not None and settings_row.onboarding_dismissed_at is not None:
        return None
    result = steps()
    return None if all(step.done for step in result) else result
