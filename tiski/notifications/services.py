"""Writing notifications and follows: the one place that decides who hears what.

`notify` applies each recipient's setting for the kind (in the app, also by
email, or off), leaves out whoever may not see the ticket, and after commit
refreshes the recipients' bells and queues by task name the mails (unless the
agent takes digests: ``digests``) and the browser pushes (the outbox and the
push sender live on a higher floor).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from tiski.accounts.models import User
from tiski.core import realtime
from tiski.core.tasks import enqueue
from tiski.tickets.models import Ticket

from .models import (
    Delivery,
    Follow,
    FollowReason,
    MailFrequency,
    MailSchedule,
    Notification,
    NotificationSetting,
    PushSubscription,
)


@dataclass(frozen=True)
class WrittenNotice:
    """What `mail_after_commit` needs of a notice written in bulk from plain
    values (the rules' notices), without a Notification instance."""

    pk: int
    user_id: int
    kind: str


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


def mail_frequencies(user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's notification email schedule; at once when they never chose."""
    ids = list(user_ids)
    chosen = dict(MailSchedule.objects.filter(user_id__in=ids).values_list("user_id", "frequency"))
    return {pk: chosen.get(pk, MailFrequency.IMMEDIATE) for pk in ids}


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
    mail_ids = _mail_now(written, choice)
    push_ids = _to_push(written)
    transaction.on_commit(lambda: _announce(written, mail_ids, push_ids))
    return written


@dataclass(frozen=True)
class Notice:
    """One notification to write with `notify_many`: `notify`'s arguments for one user."""

    user_id: int
    ticket_id: int | None
    actor_id: int | None = None
    message_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    text: str = ""


def notify_many(kind: str, notices: Sequence[Notice]) -> list[Notification]:
    """`notify` for many notices of one kind at once (a worker's batch of
    ticket changes): the same rows, in order, the same choices and the same
    after-commit bells, mails and pushes, with each read made once for all
    (users, their choices, what each may see) and the rows inserted in one
    statement."""
    wanted = [n for n in notices if n.user_id != n.actor_id]
    users = User.objects.filter(pk__in={n.user_id for n in wanted}, is_active=True).in_bulk()
    choice = deliveries(list(users), kind)
    seen: dict[int, set[int]] = {}
    for user in users.values():
        ticket_ids = {n.ticket_id for n in wanted if n.user_id == user.pk and n.ticket_id}
        if ticket_ids and choice[user.pk] != Delivery.OFF:
            seen[user.pk] = set(
                Ticket.objects.visible_to(user)
                .filter(pk__in=ticket_ids)
                .values_list("pk", flat=True)
            )
    rows = [
        Notification(
            user=users[n.user_id],
            kind=kind,
            ticket_id=n.ticket_id,
            actor_id=n.actor_id,
            message_id=n.message_id,
            params=n.params or {},
            text=n.text,
        )
        for n in wanted
        if n.user_id in users
        and choice[n.user_id] != Delivery.OFF
        and (n.ticket_id is None or n.ticket_id in seen.get(n.user_id, set()))
    ]
    if not rows:
        return []
    written = Notification.objects.bulk_create(rows)
    mail_ids = _mail_now(written, choice)
    push_ids = _to_push(written)
    transaction.on_commit(lambda: _announce(written, mail_ids, push_ids))
    return written


def _mail_now(notices: Sequence[Notification | WrittenNotice], choice: dict[int, str]) -> list[int]:
    """The notices mailed one by one: email chosen for the kind, and no digest.

    Those of agents on a digest wait for it (``digests.due``)."""
    emailed = [n for n in notices if choice.get(n.user_id) == Delivery.EMAIL]
    frequency = mail_frequencies({n.user_id for n in emailed})
    return [n.pk for n in emailed if frequency[n.user_id] == MailFrequency.IMMEDIATE]


def _to_push(notices: Sequence[Notification | WrittenNotice]) -> list[int]:
    """The notices of agents with a browser subscribed to push."""
    pushed = set(
        PushSubscription.objects.filter(user_id__in={n.user_id for n in notices}).values_list(
            "user_id", flat=True
        )
    )
    return [n.pk for n in notices if n.user_id in pushed]


def _announce(written: list[Notification], mail_ids: list[int], push_ids: list[int]) -> None:
    for notice in written:
        # Their open tabs refresh the bell now.
        realtime.send_to_user(notice.user_id, "notification", {"id": notice.pk})
    for pk in mail_ids:
        enqueue("desk.notification_mail", pk)
    for pk in push_ids:
        enqueue("desk.notification_push", pk)


def mail_after_commit(notices: Sequence[Notification | WrittenNotice]) -> None:
    """Queue the mails and pushes of notices written in bulk (rules)."""
    if not notices:
        return
    by_user = deliveries({n.user_id for n in notices}, notices[0].kind)
    mail_ids = _mail_now(notices, by_user)
    push_ids = _to_push(notices)
    if mail_ids or push_ids:
        transaction.on_commit(
            lambda: (
                [enqueue("desk.notification_mail", pk) for pk in mail_ids]
                + [enqueue("desk.notification_push", pk) for pk in push_ids]
            )
        )


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


def follow_state(user: User, ticket_id: int) -> tuple[bool, int]:
    """(``is_following``, ``follower_count``) in one query, for the ticket page."""
    found = Follow.objects.filter(ticket_id=ticket_id).aggregate(
        followers=Count("pk"), mine=Count("pk", filter=Q(user=user))
    )
    return found["mine"] > 0, found["followers"]
