"""The notification digest as a mail: one line per notice, each with its link.

Written in the agent's language and sent as the desk's own mail
(``core.system_mail``), like report subscriptions.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiski.core import desk, system_mail
from tiski.notifications.models import MailFrequency, MailSchedule, Notification


def compose(schedule: MailSchedule, notices: list[Notification]) -> EmailMultiAlternatives:
    base = getattr(settings, "TISKI_BASE_URL", "") or ""
    count = len(notices)
    lines = [
        ngettext(
            "You have %(count)d unread notification:",
            "You have %(count)d unread notifications:",
            count,
        )
        % {"count": count},
        "",
    ]
    for notice in notices:
        where = f"#{notice.ticket.number} " if notice.ticket_id is not None else ""
        lines.append(f"- {where}{notice.message}")
        lines.append(f"  {base}{reverse('desk:notification-open', args=[notice.pk])}")
    if schedule.frequency == MailFrequency.DAILY:
        why = _("You get one digest a day; change it in Tiski under Preferences.")
    else:
        why = _("You get one digest an hour; change it in Tiski under Preferences.")
    lines += ["", why]
    return EmailMultiAlternatives(
        subject=ngettext(
            "%(desk)s: %(count)d new notification",
            "%(desk)s: %(count)d new notifications",
            count,
        )
        % {"desk": desk.desk_name(), "count": count},
        body="\n".join(lines) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[schedule.user.email],
        headers={"Auto-Submitted": "auto-generated"},
    )


def send_digest(schedule: MailSchedule, notices: list[Notification]) -> None:
    with translation.override(schedule.user.language or desk.default_language()):
        email = compose(schedule, notices)
    system_mail.send(email)
