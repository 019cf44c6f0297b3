"""The phone channel's write path: store an event, derive the call, act once.

`ingest_event` is all the webhook view calls. It stores the event (unique
per call and key, so a retried delivery is a no-op), recomputes the call
from all its events with the pure `state.derive`, and runs each side
effect at most once per call, guarded by flags on the call row it holds
locked: the screen pop, the callback ticket for a missed call, and
resolving open callbacks when the caller is reached. Tickets are written
only through `tiski.tickets.actions`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiski.accounts.models import User
from tiski.core import desk
from tiski.core.realtime import send_to_user
from tiski.customers.actions import get_or_create_contact
from tiski.customers.models import Contact, Identity, IdentityKind
from tiski.tickets import actions
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import (
    UNSOLVED_STATUSES,
    Channel,
    Message,
    MessageKind,
    Status,
    Ticket,
    Via,
)

from .models import AgentPhone, Call, Callback, CallEvent, PhoneLine, token_digest
from .numbers import lookup_forms, to_e164
from .schemas import AgentRef, CallEventIn
from .state import CallEventFact, CallState, Direction, derive, order, should_pop

log = logging.getLogger(__name__)

# The tag that marks callback tickets; the shipped SLA policy matches it.
CALLBACK_TAG = "takaisinsoitto"
POP_EVENT = "phone.call"


# --- lookups ------------------------------------------------------------------


def line_for_token(token: str) -> PhoneLine | None:
    if not token:
        return None
    return PhoneLine.objects.select_related("team").filter(token_digest=token_digest(token)).first()


def find_agent(ref: AgentRef | None) -> User | None:
    if ref is None:
        return None
    if ref.email:
        user = User.objects.filter(email__iexact=ref.email.strip(), is_active=True).first()
        if user:
            return user
    if ref.extension:
        phone = AgentPhone.objects.select_related("user").filter(extension=ref.extension).first()
        if phone and phone.user.is_active:
            return phone.user
    return None


def find_contact_by_phone(e164: str) -> Contact | None:
    """The contact with this number, also under the forms older identities kept."""
    if not e164:
        return None
    identity = (
        Identity.objects.select_related("contact")
        .filter(kind__in=(IdentityKind.PHONE, IdentityKind.WHATSAPP), value__in=lookup_forms(e164))
        .order_by("kind", "id")  # a phone identity wins over a WhatsApp one
        .first()
    )
    return identity.contact if identity else None


def open_tickets_for(user: User, contact: Contact | None, limit: int = 10) -> list[Ticket]:
    if contact is None:
        return []
    return list(
        Ticket.objects.visible_to(user)
        .unsolved()
        .filter(Q(requester=contact) | Q(ccs=contact))
        .distinct()
        .select_related("team", "assignee")
        .order_by("-updated_at", "-id")[:limit]
    )


# --- ingest -------------------------------------------------------------------


@dataclass(frozen=True)
class IngestResult:
    call: Call
    duplicate: bool
    ignored: bool = False


def _fact(event: CallEvent) -> CallEventFact:
    p = event.payload
    return CallEventFact(
        type=event.type,
        at=event.occurred_at,
        key=event.key,
        direction=p.get("direction", ""),
        agent_id=event.agent_id,
        cause=p.get("cause", ""),
        duration=p.get("duration"),
        recording_url=p.get("recording_url", ""),
    )


def _customer_number(events: list[CallEvent], state: CallState) -> tuple[str, str]:
    """(E.164, as sent) of the customer's side: the caller inbound, the callee outbound."""
    field = "to" if state.direction == Direction.OUTBOUND else "from"
    for event in events:
        raw = event.payload.get(field, "")
        if raw:
            return to_e164(raw) or "", raw
    return "", ""


def ingest_event(
    line: PhoneLine, data: CallEventIn, *, now: datetime | None = None
) -> IngestResult:
    now = now or timezone.now()
    with transaction.atomic():
        call = _locked_call(line, data.call_id, now)
        if not data.known:
            # Still a 200 to the provider: a new event type must not make it retry forever.
            return IngestResult(call, duplicate=False, ignored=True)
        agent = find_agent(data.agent)
        try:
            with transaction.atomic():
                event = CallEvent.objects.create(
                    line=line,
                    call=call,
                    key=data.key,
                    type=data.event,
                    occurred_at=data.timestamp or now,
                    agent=agent,
                    payload=data.model_dump(mode="json", by_alias=True, exclude_none=True),
                    received_at=now,
                )
        except IntegrityError:
            return IngestResult(call, duplicate=True)
        events = order_events(call)
        state = derive(_fact(e) for e in events)
        assert state is not None
        _apply_state(call, events, state)
        pop_to = should_pop(_fact(event), state)
        if pop_to is not None:
            payload = {
                "call": call.pk,
                "phase": state.phase,
                "url": reverse("phone:pop", args=[call.pk]),
            }
            transaction.on_commit(lambda: send_to_user(pop_to, POP_EVENT, payload))
        # Like the resolving side below: wait for the number. An "ended"
        # delivered before the "ringing" that carries the caller must not
        # use up the call's one callback on a number nobody knows yet.
        if state.missed and not call.missed_handled and call.number:
            call.missed_handled = True
            _handle_missed(call, now)
        if state.answered and not call.reached_handled and call.number:
            call.reached_handled = True
            _resolve_callbacks(call, now)
        if call.message_id and state.ended:
            _complete_logged_call(call)
        call.save()
        return IngestResult(call, duplicate=False)


def order_events(call: Call) -> list[CallEvent]:
    events = list(call.events.all())
    by_key = {e.key: e for e in events}
    return [by_key[f.key] for f in order(_fact(e) for e in events)]


def _locked_call(line: PhoneLine, call_id: str, now: datetime) -> Call:
    try:
        with transaction.atomic():
            call, _created = Call.objects.get_or_create(
                line=line, call_id=call_id, defaults={"started_at": now}
            )
    except IntegrityError:  # created by a concurrent delivery of the same call
        call = Call.objects.get(line=line, call_id=call_id)
    return Call.objects.select_for_update().get(pk=call.pk)


def _apply_state(call: Call, events: list[CallEvent], state: CallState) -> None:
    call.direction = state.direction
    call.phase = state.phase
    call.started_at = state.started_at
    call.answered_at = state.answered_at
    call.ended_at = state.ended_at
    call.cause = state.cause
    call.duration = state.duration
    call.recording_url = state.recording_url
    call.agent_id = state.agent_id or state.ringing_agent_id
    number, raw = _customer_number(events, state)
    if number != call.number:
        call.number = number
        call.contact = find_contact_by_phone(number)
    elif call.contact_id is None and number:
        call.contact = find_contact_by_phone(number)
    call.raw_number = raw[:100]


def _complete_logged_call(call: Call) -> None:
    """The call was logged while it was still on: give its message the final details.

    Through the ticket actions, so the change is an event on the ticket.
    A ticket closed since is read-only; the details then stay on the call.
    """
    message = Message.objects.select_related("ticket").filter(pk=call.message_id).first()
    if message is None:
        return
    # Checked here rather than by catching the action's error: an action that
    # raises inside a caller's transaction spoils the rest of that transaction.
    if message.ticket.status == Status.CLOSED:
        log.info("call %s ended after its ticket was closed; message left as is", call.call_id)
        return
    actions.update_message_meta(message, call_meta(call), actor=None, via=Via.CHANNEL)


def call_meta(call: Call) -> dict:
    """What a call message shows; the conversation renders it from meta alone."""
    agent = call.agent
    return {
        "call": call.pk,
        "call_id": call.call_id,
        "line": call.line.name,
        "direction": call.direction,
        "number": call.number or call.raw_number,
        "agent": (agent.name or agent.email) if agent else "",
        "agent_id": agent.pk if agent else None,
        "duration": call.duration,
        "cause": call.cause,
        "recording_url": call.recording_url,
    }


# --- callbacks ----------------------------------------------------------------


def _callback_text(call: Call) -> str:
    return _("Missed call from %(number)s (%(cause)s) on %(line)s.") % {
        "number": call.number,
        "cause": cause_label(call.cause),
        "line": call.line.name,
    }


def cause_label(cause: str) -> str:
    labels = {
        "answered": _("answered"),
        "abandoned": _("caller hung up in the queue"),
        "no_answer": _("no answer"),
        "busy": _("busy"),
        "voicemail": _("voicemail"),
    }
    return labels.get(cause, cause)


def _handle_missed(call: Call, now: datetime) -> None:
    """A callback ticket for a missed call, or one more attempt on the open one."""
    line = call.line
    with translation.override(desk.default_language()):
        existing = (
            Callback.objects.select_for_update(of=("self",))
            .select_related("ticket")
            .filter(
                number=call.number,
                resolved_at__isnull=True,
                ticket__status__in=UNSOLVED_STATUSES,
                line__team=line.team,
            )
            .first()
        )
        if existing:
            existing.attempts += 1
            existing.save(update_fields=["attempts"])
            actions.add_message(
                existing.ticket,
                kind=MessageKind.CALL,
                actor=None,
                via=Via.CHANNEL,
                channel=Channel.PHONE,
                text=_callback_text(call),
                meta=call_meta(call),
                created_at=call.ended_at or now,
            )
            return
        # An unknown number becomes a contact only now that a ticket needs one.
        contact = call.contact or get_or_create_contact(IdentityKind.PHONE, call.number)[0]
        call.contact = contact
        related = (
            Ticket.objects.unsolved()
            .filter(requester=contact)
            .exclude(tags__name=CALLBACK_TAG)
            .order_by("-updated_at")
            .first()
        )
        meta = call_meta(call)
        if related:
            meta["related_ticket"] = related.number
        ticket = actions.create_ticket(
            requester=contact,
            subject=_("Call back %(number)s") % {"number": call.number},
            actor=None,
            via=Via.CHANNEL,
            channel=Channel.PHONE,
            text=_callback_text(call),
            first_message_kind=MessageKind.CALL,
            team=line.team,
            tags=[CALLBACK_TAG],
            message_meta=meta,
            created_at=call.ended_at or now,
        )
        callback = Callback.objects.create(
            line=line, number=call.number, ticket=ticket, related_ticket=related, created_at=now
        )
    if line.callback_sms:
        from .sms import schedule_callback_sms

        schedule_callback_sms(callback, now=now)


def _resolve_callbacks(call: Call, now: datetime) -> None:
    """The caller got through, or was called back: their callbacks are done."""
    with translation.override(desk.default_language()):
        open_callbacks = Callback.objects.select_related("ticket").filter(
            number=call.number, resolved_at__isnull=True
        )
        for callback in open_callbacks:
            callback.resolved_at = now
            callback.resolved_by_call = call
            callback.save(update_fields=["resolved_at", "resolved_by_call"])
            ticket = callback.ticket
            if ticket.status not in UNSOLVED_STATUSES:
                continue
            if call.direction == Direction.OUTBOUND:
                text = _("Called back %(number)s: resolved automatically.")
            else:
                text = _("%(number)s called again and got through: resolved automatically.")
            text = text % {"number": call.number}
            who = call.agent.name if call.agent else ""
            if who:
                text += " " + _("Agent: %(agent)s.") % {"agent": who}
            try:
                actions.add_message(
                    ticket,
                    kind=MessageKind.INTERNAL,
                    actor=None,
                    via=Via.SYSTEM,
                    text=text,
                    meta={"call": call.pk, "callback_resolved": True},
                    created_at=now,
                    status_after=Status.SOLVED,
                )
            except ValidationError:
                log.info("callback ticket %s could not be solved automatically", ticket.pk)


def on_ticket_change(change: TicketChange) -> None:
    """TicketChange handler: a callback ticket solved by hand is a callback done,
    and one reopened (by hand, or by undoing a merge) is a callback still to make.

    A callback that a real call resolved stays resolved: the customer was reached.
    """
    _callbacks_follow([change])


_DONE = (Status.SOLVED, Status.CLOSED)


def _callbacks_follow(many: list[TicketChange]) -> None:
    """Callbacks done for the tickets solved, to make again for those
    reopened: two statements however many changes."""
    solved: list[int] = []
    reopened: list[int] = []
    for change in many:
        status = change.fields.get("status")
        if not status:
            continue
        if status[1] in _DONE:
            solved.append(change.ticket_id)
        elif status[0] in _DONE:
            reopened.append(change.ticket_id)
    if solved:
        Callback.objects.filter(ticket_id__in=solved, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
    if reopened:
        Callback.objects.filter(
            ticket_id__in=reopened, resolved_at__isnull=False, resolved_by_call__isnull=True
        ).update(resolved_at=None)


def on_ticket_changes(many: list[TicketChange]) -> None:
    """`on_ticket_change` for many changes (a time-rule chunk): one ticket
    changed twice in them takes the single path, change by change, in order."""
    ids = [change.ticket_id for change in many if "status" in change.fields]
    if len(ids) != len(set(ids)):
        for change in many:
            on_ticket_change(change)
        return
    _callbacks_follow(many)


# changes.dispatch_many calls this form for a batch of changes.
on_ticket_change.handle_many = on_ticket_changes  # type: ignore[attr-defined]


# --- the screen pop and logging a call ------------------------------------------


def check_can_log(user: User, call: Call) -> None:
    """The agent on the call, anyone in the line's team, or an admin."""
    if user.is_admin or call.agent_id == user.pk:
        return
    if call.events.filter(agent_id=user.pk).exists():
        return
    team = call.line.team
    if team is None or team.members.filter(pk=user.pk).exists():
        return
    raise PermissionDenied(_("This call is not yours to log."))


def call_summary(call: Call) -> str:
    direction = (
        _("Outbound call to %(number)s")
        if call.direction == Direction.OUTBOUND
        else _("Inbound call from %(number)s")
    )
    return direction % {"number": call.number or call.raw_number or _("unknown number")}


@transaction.atomic
def log_call(
    call: Call,
    agent: User,
    *,
    ticket: Ticket | None = None,
    note: str = "",
    subject: str = "",
) -> Message:
    """Write the call into a ticket's conversation: an existing one, or a new one."""
    call = (
        Call.objects.select_for_update(of=("self",)).select_related("line", "agent").get(pk=call.pk)
    )
    check_can_log(agent, call)
    text = note.strip() or call_summary(call)
    meta = call_meta(call)
    if ticket is not None:
        actions.check_can_see(agent, ticket)
        message = actions.add_message(
            ticket,
            kind=MessageKind.CALL,
            actor=agent,
            via=Via.AGENT,
            channel=Channel.PHONE,
            text=text,
            meta=meta,
        )
    else:
        if call.contact_id is None:
            if call.number:
                call.contact = get_or_create_contact(IdentityKind.PHONE, call.number)[0]
            else:
                call.contact = Contact.objects.create(name=_("Unknown caller"))
        ticket = actions.create_ticket(
            requester=call.contact,
            subject=subject.strip() or call_summary(call),
            actor=agent,
            via=Via.AGENT,
            channel=Channel.PHONE,
            text=text,
            first_message_kind=MessageKind.CALL,
            team=call.line.team,
            assignee=agent,
            message_meta=meta,
        )
        message = ticket.messages.order_by("-id").first()
        assert message is not None
    call.ticket = ticket
    call.message = message
    call.save(update_fields=["ticket", "message", "contact"])
    return message


def recent_calls(user: User, *, hours: int = 12) -> list[Call]:
    """Calls this agent was on lately, for a "log a call" list."""
    since = timezone.now() - timedelta(hours=hours)
    return list(
        Call.objects.filter(Q(agent=user) | Q(events__agent=user), started_at__gte=since)
        .distinct()
        .select_related("contact", "line")[:20]
    )
