"""Sending the outbox: MIME building, one transport function each, the send task.

``send_outbound(id)`` claims a row (``queued``/``retrying`` -> ``sending``)
in a short transaction, sends outside any transaction, then records the
outcome. Only the worker that made the claim sends, so a duplicated task
or two workers racing send once. Network calls go through exactly one
function per transport (``send_smtp``, ``send_esp``, ``send_django``),
which tests replace.

A transport raises ``TransportError`` with ``permanent`` saying whether a
retry can help: SMTP 4xx, dropped connections and timeouts are temporary
and retried after 1, 5, 15, 60 and 240 minutes; 5xx, refused sign-in and
bad recipients are permanent and shown on the message with a Retry button.

The ticket-change handler ``on_ticket_change`` turns public replies into
outgoing mail and sends the acknowledgement for new email tickets.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import ssl
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import encoders
from email.mime.base import MIMEBase
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tiski.calendars.hours import BusinessCalendar, format_expected_reply
from tiski.connectors import outbox, sending
from tiski.connectors.models import (
    AuthMethod,
    Mailbox,
    OutboundEmail,
    OutboundKind,
    OutboundStatus,
    Security,
)
from tiski.connectors.routes import ReplyRoute, recent_customer_messages
from tiski.connectors.sending import BACKOFF_MINUTES, SendResult, retry_delay  # noqa: F401
from tiski.connectors.transport import TransportError
from tiski.core.config_cache import kept
from tiski.core.secrets import resolve
from tiski.customers.models import Contact, IdentityKind
from tiski.tickets import changes
from tiski.tickets.models import Attachment, Channel, Message, MessageKind, Ticket, Via

from . import compose
from .parse import thread_index_root

if TYPE_CHECKING:
    from tiski.tickets.changes import TicketChange

log = logging.getLogger(__name__)

DEFAULT_SMTP_TIMEOUT = 30
# Public replies on these channels are delivered by their own adapters.
NON_EMAIL_CHANNELS = (
    Channel.PHONE,
    Channel.CHAT,
    Channel.WHATSAPP,
    Channel.MESSENGER,
    Channel.INSTAGRAM,
    Channel.TELEGRAM,
    Channel.SMS,
)
REASON_PARTLY_REFUSED = "Sent, but refused for %(recipients)s"


# --- building the message -----------------------------------------------------------


def build_message(row: OutboundEmail) -> EmailMultiAlternatives:
    """The MIME message of an outbox row, exactly as decided when it was queued."""
    mailbox = row.mailbox
    headers = {"Message-ID": f"<{row.rfc_message_id}>"}
    if row.in_reply_to:
        headers["In-Reply-To"] = f"<{row.in_reply_to}>"
    if row.references:
        headers["References"] = row.references
    if row.automatic:
        # RFC 3834: other auto-responders must not answer us; Exchange's own flag too.
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    root = conversation_root(row)
    if root:
        # Outlook groups by these, and its replies keep the root even when
        # they drop References (see threading.py).
        headers["Thread-Index"] = compose.thread_index_reply(
            root, row.created_at, row.rfc_message_id.encode()
        )
        headers["Thread-Topic"] = compose.thread_topic(row.subject)
    email = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=compose.formatted_address(row.from_name, mailbox.address),
        to=list(row.to),
        cc=list(row.cc),
        bcc=list(row.bcc or []),
        reply_to=[compose.formatted_address(row.from_name, row.reply_to)] if row.reply_to else [],
        headers=headers,
    )
    if row.body_html:
        email.attach_alternative(row.body_html, "text/html")
    if row.message_id:
        for attachment in attachments_of(row):
            with attachment.file.open("rb") as handle:
                data = handle.read()
            if attachment.inline and attachment.content_id:
                email.attach(_inline_part(attachment.content_type, data, attachment))
            else:
                email.attach(attachment.filename, data, attachment.content_type or None)
    return email


def attachments_of(row: OutboundEmail):  # type: ignore[no-untyped-def]
    """The files an outbox row carries: its message's, or for a forward the
    forwarded messages' (listed on the note that records the forward)."""
    if row.kind == OutboundKind.FORWARD:
        ids = (row.message.meta or {}).get("forward_attachments", [])
        return Attachment.objects.filter(pk__in=ids).order_by("id")
    return row.message.attachments.all()


_THREAD_ROOT_SALT = "tiski.connectors.email.thread-index-root"


def conversation_root(row: OutboundEmail) -> str:
    """The Thread-Index root (hex) an outgoing mail continues.

    The customer's own conversation first: the root of the message we
    answer, else the newest one stored on the ticket. A ticket without one
    gets its own root, the same for every mail about it, keyed with the
    secret so it cannot be derived from the ticket number.
    """
    if row.in_reply_to:
        found = (
            Message.objects.filter(external_id=row.in_reply_to)
            .exclude(thread_index_root="")
            .order_by("id")
            .values_list("thread_index_root", flat=True)
            .first()
        )
        if found:
            return found
    if row.ticket_id is None:
        return ""
    found = (
        Message.objects.filter(ticket_id=row.ticket_id)
        .exclude(thread_index_root="")
        .order_by("-created_at", "-id")
        .values_list("thread_index_root", flat=True)
        .first()
    )
    if found:
        return found
    ticket = row.ticket
    seed = salted_hmac(_THREAD_ROOT_SALT, str(ticket.pk)).digest()
    return compose.new_thread_index_root(ticket.created_at, seed)


def _inline_part(content_type: str, data: bytes, attachment) -> MIMEBase:  # type: ignore[no-untyped-def]
    maintype, _slash, subtype = (content_type or "application/octet-stream").partition("/")
    part = MIMEBase(maintype, subtype or "octet-stream")
    part.set_payload(data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "inline", filename=attachment.filename)
    part["Content-ID"] = f"<{attachment.content_id}>"
    return part


def envelope_recipients(email: EmailMultiAlternatives) -> list[str]:
    return [*email.to, *email.cc, *email.bcc]


# --- transports: one patchable function each ------------------------------------------------


def _smtp_error(exc: BaseException) -> TransportError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        detail = "; ".join(
            f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in exc.recipients.items()
        )
        # Permanent only when every refusal is: one "try later" is worth waiting for.
        return TransportError(detail, permanent=bool(codes) and all(c >= 500 for c in codes))
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return TransportError(
            f"Sign-in refused: {exc.smtp_code} {_text(exc.smtp_error)}", permanent=True
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        return TransportError(f"{code} {_text(exc.smtp_error)}", permanent=500 <= code < 600)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return TransportError(f"The server does not support it: {exc}", permanent=True)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TransportError(f"TLS certificate not trusted: {exc}", permanent=True)
    if isinstance(exc, ImproperlyConfigured):
        return TransportError(str(exc), permanent=True)
    # Disconnects, refused connections, timeouts, DNS: the network, try later.
    return TransportError(f"{type(exc).__name__}: {exc}", permanent=False)


def _text(value: bytes | str) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _xoauth2(mailbox: Mailbox) -> str:
    # Imported lazily: only OAuth mailboxes need the OAuth module.
    from tiski.connectors.email import oauth

    try:
        token = oauth.access_token(mailbox)
    except Exception as exc:
        # The OAuth helper says itself whether waiting can help (a dead
        # token endpoint) or an admin must act (a revoked consent).
        if hasattr(exc, "permanent"):
            raise TransportError(f"OAuth2: {exc}", permanent=bool(exc.permanent)) from exc
        raise
    # The raw SASL string; smtplib base64-encodes what the callback returns.
    return oauth.xoauth2_string(mailbox.smtp_username or mailbox.address, token)


def _smtp_login(server: smtplib.SMTP, mailbox: Mailbox) -> None:
    if mailbox.auth_method != AuthMethod.PASSWORD:
        sasl = _xoauth2(mailbox)
        # On failure the server sends a 334 with details and expects an empty line.
        server.auth("XOAUTH2", lambda challenge=None: sasl if challenge is None else "")
    elif mailbox.smtp_username:
        user, password = mailbox.smtp_username, resolve(mailbox.smtp_password)
        if (user + password).isascii():
            server.login(user, password)
            return
        # smtplib encodes credentials as ASCII; "salasanaä" is a real Finnish
        # password, so send AUTH PLAIN in UTF-8 (RFC 4616) ourselves.
        plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
        code, reply = server.docmd("AUTH", f"PLAIN {plain}")
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply)


def send_smtp(mailbox: Mailbox, email: EmailMultiAlternatives) -> dict[str, str]:
    """Send over SMTP; returns the recipients the server refused (when others were accepted)."""
    timeout = getattr(settings, "TISKI_SMTP_TIMEOUT", DEFAULT_SMTP_TIMEOUT)
    context = ssl.create_default_context()
    try:
        if mailbox.smtp_security == Security.TLS:
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                mailbox.smtp_host,
                mailbox.smtp_port,
                local_hostname=DNS_NAME.get_fqdn(),
                timeout=timeout,
                context=context,
            )
        else:
            server = smtplib.SMTP(
                mailbox.smtp_host,
                mailbox.smtp_port,
                local_hostname=DNS_NAME.get_fqdn(),
                timeout=timeout,
            )
        with server:
            server.ehlo()
            if mailbox.smtp_security == Security.STARTTLS:
                server.starttls(context=context)
                server.ehlo()
            _smtp_login(server, mailbox)
            refused = server.sendmail(
                mailbox.address,
                envelope_recipients(email),
                email.message().as_bytes(linesep="\r\n"),
            )
    except (smtplib.SMTPException, OSError, ImproperlyConfigured) as exc:
        raise _smtp_error(exc) from exc
    return {addr: f"{code} {_text(msg)}" for addr, (code, msg) in (refused or {}).items()}


_ESP_KEY_SETTING = {"mailgun": "api_key", "sendgrid": "api_key", "postmark": "server_token"}


def esp_backend(mailbox: Mailbox):  # type: ignore[no-untyped-def]
    """The django-anymail backend for the mailbox's service, with its API key."""
    key = resolve(mailbox.esp_api_key) if mailbox.esp_api_key else ""
    options: dict = {"fail_silently": False}
    if mailbox.esp == "amazon_ses":
        # "ACCESS_KEY_ID:SECRET" in the key field; empty uses boto3's own lookup.
        if key:
            access, _colon, secret = key.partition(":")
            options["client_params"] = {
                "aws_access_key_id": access,
                "aws_secret_access_key": secret,
            }
    elif mailbox.esp in _ESP_KEY_SETTING:
        options[_ESP_KEY_SETTING[mailbox.esp]] = key
    else:
        raise ImproperlyConfigured(f"Unknown email service {mailbox.esp!r}")
    backend_class = import_string(f"anymail.backends.{mailbox.esp}.EmailBackend")
    return backend_class(**options)


def send_esp(mailbox: Mailbox, email: EmailMultiAlternatives) -> dict[str, str]:
    """Send through the email service's API (django-anymail)."""
    from anymail.exceptions import (
        AnymailAPIError,
        AnymailConfigurationError,
        AnymailError,
        AnymailInvalidAddress,
        AnymailRecipientsRefused,
    )

    try:
        backend = esp_backend(mailbox)
        backend.send_messages([email])
    except (AnymailRecipientsRefused, AnymailInvalidAddress) as exc:
        raise TransportError(str(exc)[:2000], permanent=True) from exc
    except AnymailAPIError as exc:
        status = exc.status_code
        # No status: the request never got an answer (network). 429 and 5xx pass.
        permanent = status is not None and 400 <= status < 500 and status not in (408, 429)
        raise TransportError(str(exc)[:2000], permanent=permanent) from exc
    except (AnymailConfigurationError, ImproperlyConfigured) as exc:
        raise TransportError(str(exc)[:2000], permanent=True) from exc
    except AnymailError as exc:
        raise TransportError(str(exc)[:2000], permanent=True) from exc
    except OSError as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
    status = getattr(email, "anymail_status", None)
    refused: dict[str, str] = {}
    for address, recipient in (getattr(status, "recipients", None) or {}).items():
        if recipient.status in ("rejected", "invalid"):
            refused[address] = recipient.status
    return refused


def send_django(mailbox: Mailbox, email: EmailMultiAlternatives) -> dict[str, str]:
    """Send with the server-wide EMAIL_BACKEND (the demo's capture, a relay)."""
    try:
        email.connection = get_connection(fail_silently=False)
        email.send()
    except (smtplib.SMTPException, OSError, ImproperlyConfigured) as exc:
        raise _smtp_error(exc) from exc
    return {}


TRANSPORTS = {"smtp": "send_smtp", "esp": "send_esp", "django": "send_django"}


def deliver(mailbox: Mailbox, email: EmailMultiAlternatives) -> dict[str, str]:
    """Send through the mailbox's transport; looked up at call time so tests can patch it."""
    name = TRANSPORTS.get(mailbox.outbound_method)
    if name is None:
        raise TransportError(f"Unknown sending method {mailbox.outbound_method!r}", permanent=True)
    return getattr(sys.modules[__name__], name)(mailbox, email)


# --- the send task ---------------------------------------------------------------------------


def send_outbound(outbound_id: int) -> str:
    """Send one outbox row if it is due; safe to call any number of times, concurrently."""
    row, why_not = sending.claim(OutboundEmail, outbound_id, timezone.now(), related=["mailbox"])
    if row is None:
        return why_not
    try:
        email = build_message(row)
        refused = deliver(row.mailbox, email)
    except TransportError as exc:
        return sending.record_failure(
            row, str(exc), permanent=exc.permanent, retry_after=exc.retry_after
        )
    except Exception as exc:  # noqa: BLE001 - a bug or a missing file must not lose the row
        log.exception("Outgoing email %s could not be sent", row.pk)
        return sending.record_failure(row, f"{type(exc).__name__}: {exc}", permanent=False)
    _sent(row, refused, thread_root=thread_index_root(email.extra_headers.get("Thread-Index", "")))
    return SendResult.SENT


def _sent(row: OutboundEmail, refused: dict[str, str], *, thread_root: str = "") -> None:
    note = ""
    if refused:
        note = REASON_PARTLY_REFUSED % {
            "recipients": "; ".join(f"{a} ({why})" for a, why in refused.items())
        }
    with transaction.atomic():
        OutboundEmail.objects.filter(pk=row.pk).update(
            status=OutboundStatus.SENT,
            sent_at=timezone.now(),
            last_error=note[:5000],
            permanent_failure=False,
        )
        if row.message_id:
            store_message_id(row.message_id, row.rfc_message_id)
            if thread_root:
                store_thread_index_root(row.message_id, thread_root)


def store_message_id(message_id: int, rfc_message_id: str) -> None:
    """Remember our Message-ID on the reply, so the customer's answer threads by In-Reply-To.

    A plain column update, not a ticket action: it changes no ticket state,
    writes no event and needs no announcement. An id the message already
    has (set by whoever created it) is kept.
    """
    Message.objects.filter(pk=message_id, external_id="").update(external_id=rfc_message_id)


def store_thread_index_root(message_id: int, root: str) -> None:
    """Remember the conversation root we sent, so an Outlook answer without
    References still finds the ticket (threading.py). Like the Message-ID, a
    plain column update that keeps a value already there."""
    Message.objects.filter(pk=message_id, thread_index_root="").update(thread_index_root=root)


# --- replies and acknowledgements -------------------------------------------------------


def on_ticket_change(change: TicketChange) -> None:
    """After commit: public replies go out by email; new email tickets get their acknowledgement."""
    if change.created:
        queue_acknowledgement(change.ticket_id)
    _queue_replies(change)


def on_ticket_changes(many: Sequence[TicketChange]) -> None:
    """`on_ticket_change` for many changes (a worker's batch), in order.

    A new ticket is acknowledged only when its first message is a
    customer's email: one query finds the new tickets with any customer
    email among all, and only those go through `queue_acknowledgement`
    (which checks the first message itself). A new chat or call costs no
    statement here instead of two."""
    emailed = _with_customer_email([c.ticket_id for c in many if c.created])
    for change in many:
        if change.created and change.ticket_id in emailed:
            queue_acknowledgement(change.ticket_id)
        _queue_replies(change)


on_ticket_change.handle_many = on_ticket_changes  # type: ignore[attr-defined]


def _queue_replies(change: TicketChange) -> None:
    if change.via in (Via.AGENT, Via.RULE, Via.API):
        for message_id, kind in change.messages:
            if kind == MessageKind.PUBLIC:
                queue_reply(message_id, automatic=change.via == Via.RULE)


def _with_customer_email(ticket_ids: list[int]) -> set[int]:
    if not ticket_ids:
        return set()
    return set(
        Message.objects.filter(
            ticket_id__in=ticket_ids, kind=MessageKind.CUSTOMER, channel=Channel.EMAIL
        ).values_list("ticket_id", flat=True)
    )


def _email_of(contact: Contact, preferred: list[str]) -> str:
    emails = [i.value for i in contact.identities.all() if i.kind == IdentityKind.EMAIL]
    for address in preferred:
        if address and address.lower() in emails:
            return address.lower()
    return emails[0] if emails else ""


def mailbox_for(ticket: Ticket) -> Mailbox | None:
    """The mailbox the customer last wrote to, else the ticket team's, else the first active one.

    A ticket that started as a phone call (or was made by hand) has no
    mailbox of its own; its team's mailbox is where the customer's answer
    belongs, and the desk's first mailbox is the default for everyone else.
    """
    addresses = (
        ticket.messages.filter(kind=MessageKind.CUSTOMER)
        .order_by("-created_at", "-id")
        .values_list("meta__mailbox", flat=True)[:20]
    )
    return _choose_mailbox(tuple(Mailbox.objects.filter(active=True)), addresses, ticket.team_id)


def _choose_mailbox(
    active: Sequence[Mailbox], addresses: Iterable[object], team_id: int | None
) -> Mailbox | None:
    """`mailbox_for`'s choice among the active mailboxes (a handful, read at
    once), for the customer's latest mailbox addresses, newest first: one
    query for the mailboxes instead of one per address the customer used."""
    by_address = {mailbox.address: mailbox for mailbox in active}
    for address in addresses:
        if address:
            found = by_address.get(str(address).lower())
            if found is not None:
                return found
    by_id = sorted(active, key=lambda mailbox: mailbox.pk)
    if team_id is not None:
        for mailbox in by_id:
            if mailbox.default_team_id == team_id:
                return mailbox
    return by_id[0] if by_id else None


def route(ticket: Ticket) -> ReplyRoute:
    """The email route (the registry's ``route`` for email, every ticket's fallback):
    to the requester's address from the mailbox the customer last wrote to.

    The composer shows both, offers ``mailboxes`` to choose from, and warns
    (instead of sending into the void) when either is missing.
    """
    # The customer's latest messages, read once for all the routes: the newest
    # one's sender, and the mailboxes they wrote to for `mailbox_for`'s choice.
    metas = [message.meta or {} for message in recent_customer_messages(ticket)]
    latest = metas[0] if metas else {}
    to = _email_of(ticket.requester, [latest.get("from", "")])
    mailboxes = kept(
        "email:active-mailboxes",
        lambda: tuple(Mailbox.objects.filter(active=True).order_by("address")),
    )
    mailbox = (
        _choose_mailbox(mailboxes, (meta.get("mailbox") for meta in metas), ticket.team_id)
        if mailboxes
        else None
    )
    problem = ""
    if not to:
        problem = _(
            "This customer has no email address, so a public reply would reach nobody. "
            "Write an internal note, or add an address to the contact first."
        )
    elif mailbox is None:
        problem = _(
            "No mailbox is set up, so a public reply cannot be sent. "
            "An admin can add one in the settings."
        )
    return ReplyRoute(
        channel=Channel.EMAIL,
        to=to,
        to_label=to,
        from_label=mailbox.address if mailbox else "",
        summary=""
        if problem
        else _("To: %(name)s <%(address)s>") % {"name": ticket.requester, "address": to},
        problem=problem,
        meta={"mailbox": mailbox.address} if mailbox else {},
        mailbox=mailbox,
        mailboxes=mailboxes,
    )


def queue_reply(
    message_id: int, *, automatic: bool = False, instead_of: str = ""
) -> OutboundEmail | None:
    """Queue the email of a public reply to the requester and the ticket's CCs.

    Replies written on another channel are that channel's to send; a live
    channel that could not show one (the chat visitor left before it
    arrived) hands it over with ``instead_of`` naming itself.
    """
    message = changes.message(message_id)
    if message is None or message.kind != MessageKind.PUBLIC:
        return None
    if message.channel in NON_EMAIL_CHANNELS and message.channel != instead_of:
        return None
    if OutboundEmail.objects.filter(message=message).exists():
        return None  # the handler ran already (a repeated announcement)
    ticket = message.ticket
    wanted = (message.meta or {}).get("mailbox")
    mailbox = (
        Mailbox.objects.filter(address=str(wanted).lower(), active=True).first() if wanted else None
    ) or mailbox_for(ticket)
    if mailbox is None:
        log.warning("Reply on ticket %s not emailed: no mailbox is set up", ticket.number)
        return None
    latest = (
        ticket.messages.filter(kind=MessageKind.CUSTOMER, created_at__lte=message.created_at)
        .exclude(pk=message.pk)
        .order_by("-created_at", "-id")
        .first()
    )
    meta = (latest.meta or {}) if latest is not None else {}
    requester = ticket.requester
    to = _email_of(requester, [meta.get("from", "")])
    if not to:
        log.info("Reply on ticket %s not emailed: the requester has no email", ticket.number)
        return None
    seen = [*meta.get("cc", []), *meta.get("to", [])]
    cc = [
        address
        for contact in ticket.ccs.prefetch_related("identities")
        if (address := _email_of(contact, seen)) and address != to
    ]
    # Copies the agent typed on this reply (the composer's Cc and Bcc).
    cc += [a for a in (message.meta or {}).get("cc", []) if a and a != to and a not in cc]
    return outbox.queue_email(
        ticket=ticket,
        to=[to],
        cc=cc,
        bcc=(message.meta or {}).get("bcc", []),
        subject=f"Re: {ticket.subject}",
        text=message.text,
        html=message.html,
        kind=OutboundKind.RULE if automatic else OutboundKind.REPLY,
        automatic=automatic,
        message=message,
        mailbox=mailbox,
        in_reply_to_message=latest,
    )


# Acknowledgement texts by language. They are defaults of the per-mailbox
# texts (Mailbox.ack_*_fi / ack_*_en), i.e. content in a given language,
# not interface strings, so they do not go through the catalogue.
DEFAULT_ACK_TARGET = timedelta(hours=8)
DEFAULT_ACK_TEXTS = {
    "fi": (
        "Olemme vastaanottaneet viestisi: {{ ticket.subject }}",
        "Hei {{ requester.first_name }},\n\n"
        "kiitos viestistäsi! Se on kirjattu tunnuksella #{{ ticket.number }}. "
        "Vastaamme viimeistään {{ expected_reply }}.\n\n"
        "Jos haluat lisätä jotain, vastaa tähän viestiin, niin tiedot tulevat "
        "samaan asiaan.\n\n"
        "Ystävällisin terveisin\n{{ mailbox.display_name }}",
    ),
    "en": (
        "We have received your message: {{ ticket.subject }}",
        "Hello {{ requester.first_name }},\n\n"
        "thank you for your message! Its reference is #{{ ticket.number }}. "
        "We will reply by {{ expected_reply }}.\n\n"
        "If you want to add something, just reply to this email and it will "
        "join the same request.\n\n"
        "Best regards\n{{ mailbox.display_name }}",
    ),
}


@dataclass(frozen=True)
class AckTarget:
    calendar: BusinessCalendar
    target: timedelta


def acknowledgement_target(ticket: Ticket) -> AckTarget:
    """The calendar and reply target the acknowledgement promises.

    ``settings.TISKI_ACK_TARGET_HOOK`` may name a function ``(ticket) ->
    AckTarget | None`` (the SLA engine's first-reply target); without one,
    or when it returns None, office hours (Mon-Fri 8-16 Europe/Helsinki,
    Finnish holidays) and 8 business hours.
    """
    hook = getattr(settings, "TISKI_ACK_TARGET_HOOK", "")
    if hook:
        found = import_string(hook)(ticket)
        if found is not None:
            return found
    return AckTarget(BusinessCalendar.office_hours(), DEFAULT_ACK_TARGET)


def acknowledgement_text(
    mailbox: Mailbox,
    ticket: Ticket,
    language: str,
    *,
    target: AckTarget | None = None,
    now: datetime | None = None,
) -> tuple[str, str]:
    """(subject, body) of the acknowledgement in ``language`` (fi, else en)."""
    language = "en" if (language or "fi").lower().startswith("en") else "fi"
    now = now or timezone.now()
    target = target or acknowledgement_target(ticket)
    due = target.calendar.add_business_time(max(ticket.created_at, now), target.target)
    subject = getattr(mailbox, f"ack_subject_{language}") or DEFAULT_ACK_TEXTS[language][0]
    body = getattr(mailbox, f"ack_body_{language}") or DEFAULT_ACK_TEXTS[language][1]
    name = ticket.requester.name.strip()
    values = {
        "ticket.number": str(ticket.number),
        "ticket.subject": ticket.subject,
        "requester.first_name": name.split()[0] if name and "@" not in name else "",
        "expected_reply": format_expected_reply(due, language, target.calendar.time_zone, now=now),
        "mailbox.display_name": mailbox.display_name or mailbox.address,
    }
    return (
        compose.render_placeholders(subject, values),
        compose.render_placeholders(body, values),
    )


def queue_acknowledgement(
    ticket_id: int, *, target: AckTarget | None = None
) -> OutboundEmail | None:
    """Queue the automatic acknowledgement of a ticket opened by an email."""
    ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    if ticket is None:
        return None
    first = ticket.messages.order_by("created_at", "id").first()
    if first is None or first.kind != MessageKind.CUSTOMER or first.channel != Channel.EMAIL:
        return None
    meta = first.meta or {}
    if not meta.get("mailbox") or meta.get("suppress_automatic_mail"):
        # Imports write no outbox rows at all: ten thousand "suppressed"
        # acknowledgements would only bury the real ones.
        return None
    mailbox = Mailbox.objects.filter(address=str(meta["mailbox"]).lower()).first()
    if mailbox is None or not mailbox.auto_acknowledge:
        return None
    if OutboundEmail.objects.filter(ticket=ticket, kind=OutboundKind.ACKNOWLEDGEMENT).exists():
        return None
    to = _email_of(ticket.requester, [meta.get("from", "")])
    subject, body = acknowledgement_text(mailbox, ticket, ticket.requester.language, target=target)
    return outbox.queue_email(
        ticket=ticket,
        to=[to] if to else [meta.get("from", "")],
        subject=subject,
        text=body,
        kind=OutboundKind.ACKNOWLEDGEMENT,
        automatic=True,
        mailbox=mailbox,
        in_reply_to_message=first,
    )
