"""From what happened to delivery rows: the ticket-change handler and `emit`.

Called after the change committed (a handler in
``TISKI_TICKET_CHANGE_HANDLERS``); writes one `WebhookDelivery` per
subscribed event and queues each to be sent after its own commit, so a
delivery exists as a row before any task is asked to send it.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from tiski.core.tasks import enqueue
from tiski.customers.models import Contact
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import Message, MessageKind, Ticket

from .. import serializers
from ..models import WebhookDelivery, WebhookEvent, WebhookSubscription

log = logging.getLogger(__name__)

SLA_EVENTS = {"sla_warning": WebhookEvent.SLA_WARNING, "sla_breach": WebhookEvent.SLA_BREACH}
# Bookkeeping fields whose change alone is no "ticket updated".
QUIET_FIELDS = {"satisfaction", "satisfaction_comment"}


def _subscribers(event: str) -> list[WebhookSubscription]:
    return [s for s in WebhookSubscription.objects.filter(active=True) if event in s.events]


def emit(
    event: str, data: dict[str, Any], subscriptions: list[WebhookSubscription] | None = None
) -> list[int]:
    """One delivery per active subscription to ``event``; returns their ids."""
    targets = _subscribers(event) if subscriptions is None else subscriptions
    if not targets:
        return []
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "event": event,
        "created_at": timezone.now().isoformat(),
        "data": data,
    }
    rows = [
        WebhookDelivery.objects.create(
            subscription=s,
            event_id=event_id,
            event=event,
            payload=payload,
            next_attempt_at=timezone.now(),
        )
        for s in targets
        if event in s.events
    ]
    for row in rows:
        transaction.on_commit(lambda pk=row.pk: enqueue("tiski.api.deliver_webhook", pk))
    return [row.pk for row in rows]


def events_of(change: TicketChange, message_kinds: dict[int, str]) -> list[tuple[str, int | None]]:
    """The webhook events one ticket change means, with the message each is about."""
    found: list[tuple[str, int | None]] = []
    if change.created:
        found.append((WebhookEvent.TICKET_CREATED, None))
    loud = set(change.fields) - QUIET_FIELDS
    if not change.created and (loud or change.tags_added or change.tags_removed):
        found.append((WebhookEvent.TICKET_UPDATED, None))
    if "status" in change.fields and not change.created:
        found.append((WebhookEvent.TICKET_STATUS_CHANGED, None))
    for message_id, kind in change.messages:
        found.append((WebhookEvent.MESSAGE_ADDED, message_id))
        if message_kinds.get(message_id, kind) == MessageKind.CALL:
            found.append((WebhookEvent.CALL_LOGGED, message_id))
    if "satisfaction" in change.fields or "satisfaction_comment" in change.fields:
        found.append((WebhookEvent.CSAT_RECEIVED, None))
    for name in change.sla_events:
        if name in SLA_EVENTS:
            found.append((SLA_EVENTS[name], None))
    return found


def on_ticket_changes(many: list[TicketChange]) -> None:
    """`on_ticket_change` for many changes (a time-rule chunk): the usual
    desk without subscriptions answers them all with one query."""
    subscriptions = list(WebhookSubscription.objects.filter(active=True))
    if not subscriptions:
        return
    for change in many:
        try:
            _on_ticket_change(change, subscriptions)
        except Exception:  # one change's failure must not cost the others theirs
            log.exception("webhook events failed for ticket %s", change.ticket_id)


def on_ticket_change(change: TicketChange) -> None:
    subscriptions = list(WebhookSubscription.objects.filter(active=True))
    if not subscriptions:
        return  # the usual case: one cheap query per change
    _on_ticket_change(change, subscriptions)


# changes.dispatch_many calls this form for a batch of changes.
on_ticket_change.handle_many = on_ticket_changes  # type: ignore[attr-defined]


def _on_ticket_change(change: TicketChange, subscriptions: list[WebhookSubscription]) -> None:
    wanted = {e for s in subscriptions for e in s.events}
    kinds = dict(change.messages)
    found = [(e, m) for e, m in events_of(change, kinds) if e in wanted]
    if not found:
        return
    ticket = serializers.ticket_queryset(
        Ticket.objects.filter(pk=change.ticket_id), {"requester"}
    ).first()
    if ticket is None:
        return
    ticket_data = serializers.ticket_dict(ticket, include={"requester"})
    changes = {field: {"old": old, "new": new} for field, (old, new) in change.fields.items()}
    messages = Message.objects.prefetch_related("attachments").in_bulk(
        [m for _e, m in found if m is not None]
    )
    for event, message_id in found:
        data: dict[str, Any] = {
            "ticket": ticket_data,
            "via": change.via,
            "actor_id": change.actor_id,
        }
        if event in (WebhookEvent.TICKET_UPDATED, WebhookEvent.TICKET_STATUS_CHANGED):
            data["changes"] = changes
            data["tags_added"] = list(change.tags_added)
            data["tags_removed"] = list(change.tags_removed)
        if event == WebhookEvent.CSAT_RECEIVED:
            data["satisfaction"] = {k: changes[k] for k in changes if k.startswith("satisfaction")}
        if message_id is not None and message_id in messages:
            data["message"] = serializers.message_dict(messages[message_id], ticket)
        emit(event, _json_ready(data), [s for s in subscriptions if event in s.events])


def _json_ready(data: dict[str, Any]) -> dict[str, Any]:
    """Datetimes as ISO strings: the payload is stored as JSON before it is sent."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


CONTACT_EVENTS = {"created": WebhookEvent.CONTACT_CREATED, "merged": WebhookEvent.CONTACT_MERGED}


def on_contact_change(event: str, contact_ids: list[int], data: dict[str, Any]) -> None:
    """contact.created / contact.merged: one event per contact (``merged_from`` on a merge)."""
    name = CONTACT_EVENTS.get(event)
    subscriptions = _subscribers(name) if name else []
    if not subscriptions:
        return
    contacts = Contact.objects.prefetch_related("identities").in_bulk(contact_ids)
    for contact in contacts.values():
        body: dict[str, Any] = {"contact": serializers.contact_dict(contact)}
        if "source_id" in data:
            body["merged_from"] = data["source_id"]
        emit(name, _json_ready(body), subscriptions)
