"""Writing notifications and follows: the one place that decides who hears what.

`notify` applies each recipient's setting for the kind (in the app, also by
email, or off), leaves out whoever may not see the ticket, and after commit
refreshes the recipients' bells and queues the mails by task name (the
outbox lives on a higher floor).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from tiski.accounts.models import User
from tiski.core import realtime
from tiski.core.tasks import enqueue
from tiski.tickets.models import Ticket

from .models import Delivery, Follow, FollowReason, Notification, NotificationSetting


def deliveries(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each user's choice for one kind; in the app when they never chose."""
    ids = list(user_ids)
    chosen = dict(
        NotificationSetting.objects.filter(user_id__in=ids, kind=kind).values_list(
            "user_id", "delivery"
        )
    )
    return {pk: chosen.get(pk, Delivery.APP) for pk in ids}


def settings_for(user: User) -> dict[str, str]:
    return dict(NotificationSetting.objects.filter(user=user).values_list("kind", "delivery"))


def save_settings(user: User, choices: dict[str, str]) -> None:
    for kind, delivery in choices.items():
        NotificationSetting.objects.update_or_create(
            user=user, kind=kind, defaults={"delivery": delivery}
        )


def may_see(user: User, ticket_id: int) -> bool:
    return Ticket.objects.visible_to(user).filter(pk=ticket_id).exists()


def notify(
    user_ids: Iterable[int],
    kind: str,
    *,
    ticket_id: int | None,
    actor_id: int | None = None,
    message_id: int | None = None,
    params: dict[str, Any] | None = None,
    text: str = "",
) -> list[Notification]:
    """Notify each user (never the actor) who wants this kind and may see the ticket."""
    wanted = {pk for pk in user_ids if pk != actor_id}
    users = User.objects.filter(pk__in=wanted, is_active=True)
    choice = deliveries([u.pk for u in users], kind)
    written: list[Notification] = []
    mail_ids: list[int] = []
    for user in users:
        if choice[user.pk] == Delivery.OFF:
            continue
        if ticket_id is not None and not may_see(user, ticket_id):
            continue
        notice = Notification.objects.create(
            user=user,
            kind=kind,
            ticket_id=ticket_id,
            actor_id=actor_id,
            message_id=message_id,
            params=params or {},
            text=text,
        )
        written.append(notice)
        if choice[user.pk] == Delivery.EMAIL:
            mail_ids.append(notice.pk)
    transaction.on_commit(lambda: _announce(written, mail_ids))
    return written


def _announce(written: list[Notification], mail_ids: list[int]) -> None:
    for notice in written:
        # Their open tabs refresh the bell now.
        realtime.send_to_user(notice.user_id, "notification", {"id": notice.pk})
    for pk in mail_ids:
        enqueue("desk.notification_mail", pk)


def mail_after_commit(notices: list[Notification]) -> None:
    """Queue the mails of notices written in bulk (rules) for those who chose email."""
    if not notices:
        return
    by_user = deliveries({n.user_id for n in notices}, notices[0].kind)
    mail_ids = [n.pk for n in notices if by_user[n.user_id] == Delivery.EMAIL]
    if mail_ids:
        transaction.on_commit(lambda: [enqueue("desk.notification_mail", pk) for pk in mail_ids])


def follow(user: User | int, ticket_id: int, reason: str = FollowReason.MANUAL) -> bool:
    """Start following; True when the user did not follow it before."""
    user_id = user if isinstance(user, int) else user.pk
    _follow, created = Follow.objects.get_or_create(
        user_id=user_id, ticket_id=ticket_id, defaults={"reason": reason}
    )
    return created


def unfollow(user: User, ticket_id: int) -> None:
    Follow.objects.filter(user=user, ticket_id=ticket_id).delete()


def follower_ids(ticket_id: int) -> list[int]:
    return list(Follow.objects.filter(ticket_id=ticket_id).values_list("user_id", flat=True))


def is_following(user: User, ticket_id: int) -> bool:
    return Follow.objects.filter(user=user, ticket_id=ticket_id).exists()


def follower_count(ticket_id: int) -> int:
    return Follow.objects.filter(ticket_id=ticket_id).count()
