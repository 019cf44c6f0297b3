"""After a ticket changed: mentions, auto-follows and the followers' notices.

Named in ``TISKI_TICKET_CHANGE_HANDLERS``; runs after commit, so a failed
notice never undoes the change that caused it.
"""

from __future__ import annotations

import logging

from django.db import transaction

from tiski.accounts.models import Team
from tiski.core.sanitize import plain_preview
from tiski.tickets import changes
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import Event, Message, MessageKind, Ticket

from . import mentions, services
from .models import Follow, FollowReason, Kind

log = logging.getLogger(__name__)

# Bookkeeping fields a follower does not need to hear about.
_QUIET_FIELDS = {"updated_at", "first_response_at", "solved_at", "closed_at", "last_message_at"}
# Told by notices of their own kind, not as "changed".
_OWN_NOTICE_FIELDS = {"escalation_level", "children_solved", "solve_override"}


def _excerpt(message: Message) -> str:
    text = message.preview or plain_preview(message.text, message.html)
    return text[:140]


def _messages(change: TicketChange) -> list[Message]:
    # Through `changes.message`: the reply channels' handlers have read these
    # already in this dispatch (an agent's reply read twice before).
    found = [changes.message(pk) for pk, _kind in change.messages]
    return sorted((m for m in found if m is not None), key=lambda m: (m.created_at, m.pk))


def _on_note(message: Message) -> None:
    found = mentions.resolve(message.ticket, message.text)
    if not found.users:
        return
    author_id = message.author_user_id
    for user in found.users:
        if user.pk != author_id:
            services.follow(user, message.ticket_id, FollowReason.MENTIONED)
    services.notify(
        [u.pk for u in found.users],
        Kind.MENTION,
        ticket_id=message.ticket_id,
        actor_id=author_id,
        message_id=message.pk,
        params={"excerpt": _excerpt(message)},
    )


def _on_escalation(change: TicketChange) -> None:
    event = (
        Event.objects.filter(ticket_id=change.ticket_id, field="escalation_level")
        .order_by("-created_at", "-pk")
        .first()
    )
    if event is None:
        return
    to_user, to_team = event.meta.get("to_user"), event.meta.get("to_team")
    # To a lead: that agent; to a team: its leads (or, with none, its members).
    recipients = [to_user] if to_user else []
    if not recipients and to_team:
        team = Team.objects.filter(pk=to_team).first()
        if team is not None:
            recipients = list(team.leads.values_list("pk", flat=True)) or list(
                team.members.values_list("pk", flat=True)
            )
    for user_id in recipients:
        services.follow(user_id, change.ticket_id, FollowReason.ESCALATED)
    services.notify(
        recipients,
        Kind.ESCALATED,
        ticket_id=change.ticket_id,
        actor_id=change.actor_id,
        params={"excerpt": event.meta.get("reason", "")[:140]},
    )


def _on_children_solved(change: TicketChange) -> None:
    assignee_id = (
        Ticket.objects.filter(pk=change.ticket_id).values_list("assignee_id", flat=True).first()
    )
    if assignee_id:
        services.notify([assignee_id], Kind.CHILDREN_SOLVED, ticket_id=change.ticket_id)


def on_ticket_change(change: TicketChange, messages: list[Message] | None = None) -> None:
    """``messages``: the change's messages, read already (a batch reads them together)."""
    for message in _messages(change) if messages is None else messages:
        if message.kind == MessageKind.INTERNAL:
            _on_note(message)
        elif message.kind == MessageKind.PUBLIC and message.author_user_id:
            services.follow(message.author_user_id, message.ticket_id, FollowReason.REPLIED)
        elif message.kind == MessageKind.CUSTOMER and not change.created:
            services.notify(
                services.follower_ids(change.ticket_id),
                Kind.CUSTOMER_MESSAGE,
                ticket_id=change.ticket_id,
                message_id=message.pk,
                params={"excerpt": _excerpt(message)},
            )
    if "escalation_level" in change.fields:
        _on_escalation(change)
    if "children_solved" in change.fields:
        _on_children_solved(change)
    _tell_followers(change, None)


def _tell_followers(change: TicketChange, followers: list[int] | None) -> None:
    """The followers hear which fields changed (``followers``: read already)."""
    quiet = _QUIET_FIELDS | _OWN_NOTICE_FIELDS
    changed = sorted(name for name in change.fields if name not in quiet)
    # A customer's message reopening the ticket is told once, as the message.
    if changed and not change.created and MessageKind.CUSTOMER not in change.message_kinds:
        if followers is None:
            followers = services.follower_ids(change.ticket_id)
        if not followers:
            return  # nobody to tell: notify would write nothing
        services.notify(
            followers,
            Kind.CHANGE,
            ticket_id=change.ticket_id,
            actor_id=change.actor_id,
            params={"fields": changed},
        )


def _customer_only(change: TicketChange) -> bool:
    """A visitor's or customer's later message and nothing a notice of its own
    tells: all `on_ticket_change` does for it is the followers' notice per
    message (fields changed with a customer message are told as the message)."""
    return (
        bool(change.messages)
        and not change.created
        and all(kind == MessageKind.CUSTOMER for _pk, kind in change.messages)
        and not set(change.fields) & _OWN_NOTICE_FIELDS
    )


def on_ticket_changes(many: list[TicketChange]) -> None:
    """`on_ticket_change` for many changes (a time-rule chunk's status
    changes, a worker's batch of chat messages): the followers of the tickets
    whose only news is changed fields or a customer's message are read in
    one query, not one per ticket, the customers' messages' notices written
    in one statement (`_tell_customer_messages`), and the other changes'
    messages read in one; those take the single path. In the changes'
    order, one failure costing only its own."""
    plain = [c for c in many if not c.messages and not set(c.fields) & _OWN_NOTICE_FIELDS]
    plain_ids = {id(change) for change in plain}
    told = [c for c in many if _customer_only(c)]
    told_ids = {id(change) for change in told}
    followers: dict[int, list[int]] = {change.ticket_id: [] for change in plain + told}
    if followers:
        found = Follow.objects.filter(ticket_id__in=list(followers)).order_by()
        for ticket_id, user_id in found.values_list("ticket_id", "user_id"):
            followers[ticket_id].append(user_id)
    # The messages of all the others in one query, not one per change (a
    # worker's batch of new chat tickets: one each); in the order the
    # one-change query returns them.
    wanted = {pk for c in many if id(c) not in plain_ids for pk, _kind in c.messages}
    read = (
        list(Message.objects.filter(pk__in=wanted).select_related("ticket", "author_user"))
        if wanted
        else []
    )
    if told:
        _tell_customer_messages(told, followers, read)
    for change in many:
        if id(change) in told_ids:
            continue
        try:
            if id(change) in plain_ids:
                _tell_followers(change, followers[change.ticket_id])
            else:
                ids = {pk for pk, _kind in change.messages}
                on_ticket_change(change, [m for m in read if m.pk in ids])
        except Exception:
            log.exception("notifications failed for ticket %s", change.ticket_id)


def _tell_customer_messages(
    told: list[TicketChange], followers: dict[int, list[int]], read: list[Message]
) -> None:
    """The followers' notices of many customers' messages with one
    `services.notify_many`: the rows `notify` writes for each message (who
    wants the kind, is active and may see the ticket), in the changes' order.
    A batch of 200 chat messages cost six statements and an event-loop trip
    each. Should the bulk write fail, nothing of it is kept and each change
    takes the single path, so one bad change still costs only its own."""
    by_id = {m.pk: m for m in read}
    notices = [
        services.Notice(
            user_id=user_id,
            ticket_id=change.ticket_id,
            message_id=message.pk,
            params={"excerpt": _excerpt(message)},
        )
        for change in told
        for message in sorted(
            (by_id[pk] for pk, _kind in change.messages if pk in by_id),
            key=lambda m: (m.created_at, m.pk),
        )
        for user_id in followers[change.ticket_id]
    ]
    try:
        with transaction.atomic():
            services.notify_many(Kind.CUSTOMER_MESSAGE, notices)
    except Exception:
        log.exception("notices of %d customer messages failed together", len(told))
        for change in told:
            mine = [by_id[pk] for pk, _kind in change.messages if pk in by_id]
            try:
                on_ticket_change(change, sorted(mine, key=lambda m: (m.created_at, m.pk)))
            except Exception:
                log.exception("notifications failed for ticket %s", change.ticket_id)


# changes.dispatch_many calls this form for a batch of changes.
on_ticket_change.handle_many = on_ticket_changes  # type: ignore[attr-defined]
