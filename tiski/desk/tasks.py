"""Background work started from the desk."""

from __future__ import annotations

from celery import shared_task

from tiski.accounts.models import User
from tiski.tickets import actions
from tiski.tickets.models import Via

from .bulk import BulkForm, visible_tickets


@shared_task(name="tiski.desk.bulk_update")
def bulk_update(user_id: int, ticket_ids: list[int], data: dict[str, str]) -> int | None:
    """A bulk change of a whole view: one `BulkChange`, so one undo, like a small one.

    The choice is checked again and the tickets read again through
    ``visible_to``: what the agent may change is decided now, not when asked.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    form = BulkForm(data)
    if user is None or not form.is_valid():
        return None
    tickets = visible_tickets(user, ticket_ids)
    record = actions.bulk_update_tickets(
        tickets,
        actor=user,
        via=Via.AGENT,
        fields=form.changes(),
        add_tags=form.tags_to_add(),
        remove_tags=form.tags_to_remove(),
    )
    return record.pk


@shared_task(name="desk.notification_mail")
def notification_mail(notification_id: int) -> int | None:
    """Mail one notice to an agent who chose email for its kind; the outbox row's id.

    Lives on the desk's floor because the outbox (channels) is above the
    notifications app, which queues this task by name.
    """
    from django.conf import settings as django_settings
    from django.utils import translation
    from django.utils.translation import gettext as _

    from tiski.connectors import outbox
    from tiski.connectors.models import OutboundKind
    from tiski.notifications.models import Notification
    from tiski.notifications.services import may_see

    notice = (
        Notification.objects.select_related("user", "ticket", "actor")
        .filter(pk=notification_id, read_at__isnull=True)
        .first()
    )
    if notice is None or notice.ticket is None or not notice.user.is_active:
        return None
    if not may_see(notice.user, notice.ticket_id):
        return None
    with translation.override(notice.user.language):
        sentence = notice.message
        subject = _("[#%(number)s] %(text)s") % {
            "number": notice.ticket.number,
            "text": sentence[:120],
        }
        link = f"{django_settings.TISKI_BASE_URL}{notice.link}"
        text = _("%(text)s\n\nOpen the ticket: %(link)s\n") % {"text": sentence, "link": link}
    row = outbox.queue_email(
        ticket=notice.ticket,
        to=[notice.user.email],
        subject=subject,
        text=text,
        kind=OutboundKind.NOTIFICATION,
        automatic=True,
    )
    return row.pk if row is not None else None


@shared_task(name="desk.notification_push")
def notification_push(notification_id: int) -> int:
    """Show one notice on every browser the agent subscribed; how many took it.

    A browser whose push service fails is skipped (its error is kept on the
    subscription): one dead browser never stops the others.
    """
    from django.utils import translation

    from tiski.connectors.transport import TransportError
    from tiski.notifications.models import Notification, PushSubscription
    from tiski.notifications.services import may_see

    from . import webpush

    notice = (
        Notification.objects.select_related("user", "ticket")
        .filter(pk=notification_id, read_at__isnull=True)
        .first()
    )
    if notice is None or not notice.user.is_active:
        return 0
    if notice.ticket_id is not None and not may_see(notice.user, notice.ticket_id):
        return 0
    with translation.override(notice.user.language):
        message = push_message(notice)
    shown = 0
    for subscription in PushSubscription.objects.filter(user=notice.user):
        try:
            shown += webpush.send(subscription, message)
        except TransportError:
            continue
    return shown


def push_message(notice) -> dict:
    """What the browser shows: the desk's name, the sentence, where a click goes."""
    from django.urls import reverse

    from tiski.core import desk

    title = desk.desk_name()
    if notice.ticket_id is not None:
        title = f"#{notice.ticket.number} · {notice.ticket.subject}"[:120]
    return {
        "title": title,
        "body": notice.message[:300],
        "url": reverse("desk:notification-open", args=[notice.pk]),
        # One banner per ticket: a newer notice replaces the older one.
        "tag": f"tiski-ticket-{notice.ticket_id}" if notice.ticket_id else f"tiski-{notice.pk}",
    }


@shared_task(name="desk.notification_digests")
def notification_digests() -> int:
    """Mail the digests that are due (periodic); how many went."""
    from django.utils import timezone

    from tiski.notifications import digests

    from .digest_mail import send_digest

    return digests.send_due(timezone.now(), send_digest)
