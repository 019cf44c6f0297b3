"""The visitor's side of a chat, written through the customer and ticket actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiski.connectors.models import OutboundKind
from tiski.customers.actions import get_or_create_contact
from tiski.tickets import actions
from tiski.tickets.automatic_mail import send_automatic_mail
from tiski.tickets.models import Channel, Message, MessageKind, Status, Via

from . import presence
from .availability import route_chat
from .models import ChatMessage, ChatSession, ChatWidget, SessionStatus

LANGUAGES = ("fi", "en", "sv")
MAX_TEXT = 4000
SUBJECT_LENGTH = 80


def session_group(session_id: int) -> str:
    return f"webchat.session.{session_id}"


def language_of(value: str) -> str:
    code = (value or "").strip().lower()[:2]
    return code if code in LANGUAGES else "fi"


def session_for(widget: ChatWidget, token: str) -> ChatSession | None:
    """The visitor's session by the secret in their browser; only this widget's.

    The widget given is the session's (a first message reads its default
    team and type from it, without a query of its own)."""
    if not token:
        return None
    session = (
        ChatSession.objects.select_related("contact", "ticket")
        .filter(widget=widget, visitor_token=token, status=SessionStatus.OPEN)
        .first()
    )
    if session is not None:
        session.widget = widget
    return session


def start_session(widget: ChatWidget, language: str) -> ChatSession:
    return ChatSession.objects.create(
        widget=widget, language=language_of(language), last_seen=timezone.now()
    )


def touch(session_id: int) -> None:
    """The visitor's socket is alive: replies reach them live, not by email."""
    ChatSession.objects.filter(pk=session_id).update(last_seen=timezone.now())


def opened(session_id: int) -> None:
    ChatSession.objects.filter(pk=session_id).update(
        open_sockets=F("open_sockets") + 1, last_seen=timezone.now()
    )


def closed(session_id: int) -> None:
    ChatSession.objects.filter(pk=session_id, open_sockets__gt=0).update(
        open_sockets=F("open_sockets") - 1
    )


def is_present(session: ChatSession) -> bool:
    """A socket open and heard lately, or a long-poll waiting: otherwise replies go by email.

    A visitor who closed the tab a moment ago is gone: a reply shown to
    nobody must not be kept from their email."""
    return presence.is_present(session)


def visitor_present(ticket_id: int) -> bool | None:
    """For the composer: is the ticket's chat visitor there now? None when the
    ticket has no chat session (not a chat, or one begun elsewhere)."""
    sessions = list(ChatSession.objects.filter(ticket_id=ticket_id))
    if not sessions:
        return None
    return any(is_present(session) for session in sessions)


def open_session_ids(ticket_id: int) -> list[int]:
    """The chats an agent typing on this ticket is heard in."""
    return list(
        ChatSession.objects.filter(ticket_id=ticket_id, status=SessionStatus.OPEN).values_list(
            "pk", flat=True
        )
    )


def mark_read(session: ChatSession, message_id: int) -> bool:
    """The visitor saw the agent's replies up to this one; False when nothing moved.

    Only a public reply on the session's own ticket counts, so a widget
    cannot mark another ticket's messages read."""
    if session.ticket_id is None:
        return False
    known = Message.objects.filter(
        pk=message_id, ticket_id=session.ticket_id, kind=MessageKind.PUBLIC
    ).exists()
    if not known:
        return False
    moved = (
        ChatSession.objects.filter(pk=session.pk)
        .filter(Q(read_up_to__isnull=True) | Q(read_up_to__lt=message_id))
        .update(read_up_to=message_id, read_at=timezone.now())
    )
    if moved:
        session.read_up_to = message_id
    return bool(moved)


def read_up_to(ticket_id: int) -> int | None:
    """For the ticket page: the newest reply a chat visitor has seen."""
    values = ChatSession.objects.filter(ticket_id=ticket_id, read_up_to__isnull=False).values_list(
        "read_up_to", flat=True
    )
    return max(values, default=None)


def identify(session: ChatSession, *, name: str, email: str) -> ChatSession:
    """The pre-chat form: the contact is found (or made) by the email identity."""
    email = (email or "").strip()
    validate_email(email)
    contact, _created = get_or_create_contact(
        "email", email, name=(name or "").strip()[:200], language=session.language
    )
    session.contact = contact
    session.save(update_fields=["contact"])
    return session


@dataclass(frozen=True)
class Received:
    message_id: int
    duplicate: bool


def receive(
    session: ChatSession,
    *,
    client_id: str,
    text: str,
    at: datetime | None = None,
    attachments: Sequence[actions.NewAttachment] = (),
    heartbeat: bool = False,
) -> Received:
    """One visitor message; the same client id again (a resend) is acknowledged, not added.

    ``heartbeat``: the visitor's ``last_seen`` is written with the message
    (a first message's in the same UPDATE as its ticket), saving the socket
    a statement of its own."""
    client_id = (client_id or "").strip()[:64]
    text = (text or "").strip()[:MAX_TEXT]
    if not text and attachments:
        # A file sent without words: the file names say what it is.
        text = ", ".join(a.filename for a in attachments)
    if not client_id or not text:
        raise ValidationError("empty")
    if session.contact_id is None:
        raise ValidationError("not identified")
    try:
        # One unit of work: a first message's ticket, the message and the
        # chat's routing are announced as one change, so the after-commit
        # handlers (SLA, rules, search, reports, the desk's push) run once.
        with actions.unit_of_work():
            # The row is claimed first: a resend of a stored message, or two
            # sockets resending the same id at once, meet on the unique
            # constraint before anything else is written, and only one
            # writes. (No read ahead of it: resends are rare, every message
            # would pay for it.)
            sent = ChatMessage.objects.create(session=session, client_id=client_id)
            message = _write(session, text, client_id, at, attachments, heartbeat)
            sent.message = message
            sent.save(update_fields=["message"])
    except IntegrityError:
        known = ChatMessage.objects.get(session=session, client_id=client_id)
        if heartbeat:
            touch(session.pk)
        return Received(known.message_id or 0, True)
    return Received(message.pk, False)


def _write(
    session: ChatSession,
    text: str,
    client_id: str,
    at: datetime | None,
    attachments: Sequence[actions.NewAttachment] = (),
    heartbeat: bool = False,
) -> Message:
    meta = {"chat_session": session.pk, "client_id": client_id}
    ticket = session.ticket
    if ticket is not None and ticket.status != Status.CLOSED:
        if heartbeat:
            touch(session.pk)
        return actions.add_message(
            ticket,
            kind=MessageKind.CUSTOMER,
            actor=None,
            via=Via.CHANNEL,
            text=text,
            channel=Channel.CHAT,
            author_contact=session.contact,
            meta=meta,
            created_at=at,
            attachments=attachments,
        )
    widget = session.widget
    ticket = actions.create_ticket(
        requester=session.contact,
        subject=_subject(text),
        actor=None,
        via=Via.CHANNEL,
        channel=Channel.CHAT,
        text=text,
        type=widget.default_type,
        team=widget.default_team,
        message_meta=meta,
        created_at=at,
        attachments=attachments,
    )
    session.ticket = ticket
    written = ["ticket"]
    if heartbeat:
        session.last_seen = timezone.now()
        written.append("last_seen")
    session.save(update_fields=written)
    route_chat(ticket, widget, just_created=True)
    return ticket.first_message


def _subject(text: str) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= SUBJECT_LENGTH else line[: SUBJECT_LENGTH - 1] + "…"


def replies_after(session: ChatSession, after: int) -> list[dict]:
    """The public replies newer than the one the visitor has, as ``reply`` items,
    oldest first: what a long-poll missed between two polls, as a socket's
    ``welcome`` history brings them back after a reconnect."""
    if session.ticket_id is None:
        return []
    messages = (
        Message.objects.filter(
            ticket_id=session.ticket_id,
            kind=MessageKind.PUBLIC,
            id__gt=after,
        )
        .select_related("author_user")
        .prefetch_related("attachments")
        .order_by("id")
    )
    return [as_item(m) for m in messages]


def history(session: ChatSession) -> list[dict]:
    """The conversation as the visitor sees it: their messages and the public replies."""
    if session.ticket_id is None:
        return []
    messages = (
        Message.objects.filter(
            ticket_id=session.ticket_id, kind__in=(MessageKind.CUSTOMER, MessageKind.PUBLIC)
        )
        .select_related("author_user")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    return [as_item(m) for m in messages]


def as_item(message: Message) -> dict:
    visitor = message.kind == MessageKind.CUSTOMER
    author = "" if visitor or message.author_user is None else agent_name(message.author_user)
    return {
        "id": message.pk,
        "client_id": (message.meta or {}).get("client_id", "") if visitor else "",
        "from": "visitor" if visitor else "agent",
        "author": author,
        "text": message.text,
        # Names only: the files themselves stay behind the desk's login.
        "files": [a.filename for a in message.attachments.all() if not a.inline],
        "at": message.created_at.isoformat(),
    }


def agent_name(user) -> str:  # type: ignore[no-untyped-def]
    # The first name only: a visitor needs a person to talk to, not the
    # agent's full name on a public web site.
    return (user.name or "").split(" ")[0]


def send_transcript(session: ChatSession) -> bool:
    """The conversation by email to the visitor, on their request in the widget.

    Through the outbox's automatic mail, so its loop rules (hourly cap,
    bounced addresses) keep a visitor from mailing themselves in a loop.
    Written in the visitor's language, which the widget already speaks."""
    if session.ticket is None or session.contact is None:
        return False
    emails = session.contact.emails
    if not emails:
        return False
    with translation.override(session.language):
        lines = []
        for item in history(session):
            who = (
                _("You") if item["from"] == "visitor" else (item["author"] or _("Customer service"))
            )
            lines.append(f"{who}:\n{item['text']}\n")
        subject = _("Your chat with %(name)s") % {"name": session.widget.name}
    queued = send_automatic_mail(
        ticket=session.ticket,
        to=emails[:1],
        subject=subject,
        text="\n".join(lines),
        kind=OutboundKind.TRANSCRIPT,
    )
    return queued.sent
