"""Notification digests: the emailed notices of an agent gathered into one mail.

An agent who chose hourly or daily digests (``MailSchedule``) gets no mail
per notice; when their digest is due, one mail lists the notices of the kinds
they chose "by email" for that arrived since the last digest and are still
unread (what they already saw in the app is not news). The mail itself is
written and sent on the desk's floor (``desk.notification_digests``), which
owns the outbox; this module decides who is due and what goes in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from tiski.accounts.models import User
from tiski.core import desk

from .models import (
    Delivery,
    MailFrequency,
    MailSchedule,
    Notification,
    NotificationSetting,
    unread_for,
)

HOUR = timedelta(hours=1)
log = logging.getLogger(__name__)


def next_due(schedule: MailSchedule) -> datetime:
    """When this schedule's next digest is due (aware, UTC or local)."""
    if schedule.frequency == MailFrequency.HOURLY:
        return schedule.covered_until + HOUR
    zone = ZoneInfo(desk.user_time_zone_name(schedule.user))
    local = schedule.covered_until.astimezone(zone)
    due = local.replace(hour=schedule.daily_hour, minute=0, second=0, microsecond=0)
    if due <= local:
        due += timedelta(days=1)
    return due


def due_schedules(now: datetime) -> list[MailSchedule]:
    """The digest schedules of active agents whose digest time has come."""
    schedules = MailSchedule.objects.select_related("user").filter(
        user__is_active=True,
        frequency__in=[MailFrequency.HOURLY, MailFrequency.DAILY],
    )
    return [s for s in schedules if next_due(s) <= now]


def notices_for(schedule: MailSchedule, until: datetime) -> list[Notification]:
    """The unread notices since the last digest, of kinds the agent wants by email."""
    kinds = NotificationSetting.objects.filter(
        user=schedule.user, delivery=Delivery.EMAIL
    ).values_list("kind", flat=True)
    return list(
        unread_for(schedule.user)
        .filter(kind__in=list(kinds), created_at__gt=schedule.covered_until, created_at__lte=until)
        .order_by("created_at", "pk")
    )


def send_due(now: datetime, send: Callable[[MailSchedule, list[Notification]], None]) -> int:
    """Send every due digest through ``send``; returns how many were mailed.

    Each schedule is claimed by moving ``covered_until`` forward in one
    conditional update, so two workers never mail the same digest; a failed
    send puts it back and the next pass tries again. A digest with nothing
    unread moves the schedule on without a mail.
    """
    mailed = 0
    for schedule in due_schedules(now):
        before = schedule.covered_until
        with transaction.atomic():
            claimed = MailSchedule.objects.filter(pk=schedule.pk, covered_until=before).update(
                covered_until=now
            )
        if not claimed:
            continue
        notices = notices_for(schedule, now)  # from the old mark, still on the instance
        if not notices:
            continue
        try:
            send(schedule, notices)
        except Exception:
            # One agent's failed mail never stops the others' digests.
            log.exception("notification digest for user %s failed", schedule.user_id)
            MailSchedule.objects.filter(pk=schedule.pk, covered_until=now).update(
                covered_until=before
            )
            continue
        mailed += 1
    return mailed


def save_schedule(user: User, frequency: str, daily_hour: int | None = None) -> MailSchedule:
    """Set how the agent's notification mail goes; digests start from now."""
    schedule, _created = MailSchedule.objects.get_or_create(user=user)
    changed = schedule.frequency != frequency
    schedule.frequency = frequency
    if daily_hour is not None:
        schedule.daily_hour = daily_hour
    if changed:
        schedule.covered_until = timezone.now()
    schedule.save()
    return schedule
