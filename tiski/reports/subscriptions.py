"""Scheduled reports: each subscription's last full week or month, mailed once.

The beat schedule runs `send_due` every hour; a subscription whose latest
complete period has not been mailed yet gets it now, figures in the body
and the XLSX attached, in the subscriber's language and with the
subscriber's own visibility (the same `metrics` as the page). Recording the
period's start makes a rerun, or a second worker, send nothing twice.
"""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from tiski.core import desk, system_mail

from . import exports, periods
from .formatting import format_delta, format_value
from .metrics import REPORTS, ReportFilters, Result, Scope
from .models import Frequency, ReportSubscription

log = logging.getLogger(__name__)


def due_period(frequency: str, today: date | None = None) -> periods.Period:
    """The latest complete week (Monday to Sunday) or calendar month."""
    name = "last_week" if frequency == Frequency.WEEKLY else "last_month"
    return periods.preset(name, today)


def build(subscription: ReportSubscription, period: periods.Period) -> Result:
    scope = Scope(
        user=subscription.user,
        period=period,
        filters=ReportFilters.from_params(subscription.filters or {}),
    )
    return REPORTS[subscription.report].build(scope)


def compose(subscription: ReportSubscription, result: Result) -> EmailMultiAlternatives:
    """The mail: the summary figures as text lines, the whole report as XLSX."""
    period = result.scope.period
    span = f"{period.first:%d.%m.%Y}–{period.last:%d.%m.%Y}"
    lines = [
        _("%(report)s, %(period)s") % {"report": result.title, "period": span},
        "",
    ]
    for figure in result.summary:
        line = f"{figure.label}: {format_value(figure.value)}"
        delta = format_delta(figure.value)
        if delta:
            line += " (" + _("%(delta)s from the previous period") % {"delta": delta} + ")"
        lines.append(line)
    if not result.summary:
        lines.append(_("The figures are in the attached file."))
    base = getattr(settings, "TISKI_BASE_URL", "") or ""
    lines += [
        "",
        _("The whole report is attached as a spreadsheet."),
        _("Open it in Tiski: %(url)s") % {"url": base + reverse(f"reports:{result.name}")},
        _("You get this mail because you subscribed to it in Tiski's reports; unsubscribe there."),
    ]
    email = EmailMultiAlternatives(
        subject=_("%(desk)s report: %(report)s %(period)s")
        % {"desk": desk.desk_name(), "report": result.title, "period": span},
        body="\n".join(lines) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.user.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    email.attach(
        f"tiski-{result.name}-{period.first}-{period.last}.xlsx",
        exports.to_xlsx(result),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return email


def send_due(today: date | None = None) -> int:
    """Mail every subscription whose latest complete period is not mailed yet."""
    sent = 0
    for subscription in ReportSubscription.objects.select_related("user").filter(
        user__is_active=True
    ):
        if subscription.report not in REPORTS:
            continue
        period = due_period(subscription.frequency, today)
        if subscription.last_period_start == period.first:
            continue
        with transaction.atomic():
            # Claim the period first: a second worker finds it taken and moves on.
            claimed = (
                ReportSubscription.objects.filter(pk=subscription.pk)
                .exclude(last_period_start=period.first)
                .update(last_period_start=period.first)
            )
        if not claimed:
            continue
        language = subscription.user.language or desk.default_language()
        try:
            with translation.override(language):
                system_mail.send(compose(subscription, build(subscription, period)))
        except Exception:
            log.exception("report mail %s failed", subscription.pk)
            # Let the next pass try again.
            ReportSubscription.objects.filter(pk=subscription.pk).update(
                last_period_start=subscription.last_period_start
            )
            continue
        sent += 1
    return sent
