"""WhatsApp webhook payloads: messages to the intake, statuses to the outbox.

One POST may carry several messages and statuses. Each message is stored
as its own receipt (source ``whatsapp:<account id>``, key its wamid) whose
raw payload is the message with the sender's profile and the metadata it
came with; Meta retrying the POST stores nothing new. The sender is a
``phone`` identity in E.164, so a WhatsApp message from a number that
called or texted earlier finds that contact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from tiski.connectors.messaging import intake, media, notes
from tiski.connectors.messaging.inbound import InboundAttachment, InboundMessage, Malformed
from tiski.connectors.models import InboundReceipt
from tiski.connectors.transport import TransportError
from tiski.customers.models import IdentityKind
from tiski.customers.phones import to_e164
from tiski.tickets.models import Channel

from . import api
from .models import WhatsAppAccount

SOURCE_PREFIX = "whatsapp:"
REASON_NO_ACCOUNT = "The WhatsApp number this message came to was deleted."
_MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
# Meta's status values, as ours (the rest are not shown).
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}


@dataclass(frozen=True)
class Status:
    provider_id: str
    status: str
    error: str = ""


def source_for(account: WhatsAppAccount) -> str:
    return f"{SOURCE_PREFIX}{account.pk}"


def split(body: bytes) -> tuple[list[dict], list[Status]]:
    """The messages (each with its sender's profile and metadata) and statuses of a POST."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Malformed("not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise Malformed("no entry list")
    messages, statuses = [], []
    for entry in data["entry"]:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            if not isinstance(value, dict):
                raise Malformed("a change without a value object")
            profiles = {
                c.get("wa_id"): c for c in value.get("contacts") or [] if isinstance(c, dict)
            }
            for message in value.get("messages") or []:
                if (
                    not isinstance(message, dict)
                    or not message.get("id")
                    or not message.get("from")
                ):
                    raise Malformed("a message without id or from")
                messages.append(
                    {
                        "message": message,
                        "contact": profiles.get(message["from"], {}),
                        "metadata": value.get("metadata") or {},
                    }
                )
            for status in value.get("statuses") or []:
                if not isinstance(status, dict) or not status.get("id"):
                    raise Malformed("a status without id")
                ours = STATUSES.get(str(status.get("status")))
                if ours:
                    errors = status.get("errors") or []
                    error = "; ".join(
                        f"{e.get('code')}: {e.get('title') or e.get('message') or ''}"
                        for e in errors
                        if isinstance(e, dict)
                    )
                    statuses.append(Status(str(status["id"]), ours, error[:2000]))
    return messages, statuses


def process_receipt(receipt_id: int) -> intake.Result:
    """The registry's intake for WhatsApp receipts."""
    return intake.process(receipt_id, handle)


def handle(receipt: InboundReceipt, raw: bytes) -> intake.Delivered | str:
    value = receipt.source.removeprefix(SOURCE_PREFIX)
    account = WhatsAppAccount.objects.filter(pk=int(value) if value.isdigit() else None).first()
    if account is None:
        raise Malformed(REASON_NO_ACCOUNT)
    try:
        envelope = json.loads(raw)
        message = envelope["message"]
    except (ValueError, KeyError, TypeError) as exc:
        raise Malformed("not a stored WhatsApp message") from exc
    sender = to_e164("+" + str(message["from"]).lstrip("+"))
    if not sender:
        raise Malformed(f"not a phone number: {str(message['from'])[:40]!r}")
    text, reply_to = describe(message)
    attachments, notes = _media(account, message)
    if notes:
        text = "\n".join([text, *notes]).strip()
    profile = (envelope.get("contact") or {}).get("profile") or {}
    msg = InboundMessage(
        channel=Channel.WHATSAPP,
        account=account.pk,
        sender_kind=IdentityKind.PHONE,
        sender_value=sender,
        sender_name=str(profile.get("name") or ""),
        text=text,
        provider_id=str(message["id"])[:200],
        attachments=tuple(attachments),
        reply_to_id=reply_to,
        sent_at=_time(message.get("timestamp")),
        meta={"to": account.number, "type": str(message.get("type") or "")},
    )
    return intake.deliver_inbound(msg, team=account.default_team, ticket_type=account.default_type)


def describe(message: dict) -> tuple[str, str]:
    """The message as text an agent reads, and the wamid it answers ("" if none)."""
    kind = str(message.get("type") or "")
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    reply_to = str((message.get("context") or {}).get("id") or "")
    if kind == "text":
        return str(body.get("body") or ""), reply_to
    if kind in _MEDIA_TYPES:
        return str(body.get("caption") or ""), reply_to
    if kind == "location":
        place = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
        lat, lon = body.get("latitude"), body.get("longitude")
        where = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}"
        return f"📍 {place} ({lat}, {lon}) {where}".replace("  ", " ").strip(), reply_to
    if kind == "contacts":
        lines = []
        for card in message.get("contacts") or []:
            name = (card.get("name") or {}).get("formatted_name") or ""
            phones = ", ".join(p.get("phone", "") for p in card.get("phones") or [])
            emails = ", ".join(e.get("email", "") for e in card.get("emails") or [])
            lines.append("👤 " + " · ".join(x for x in (name, phones, emails) if x))
        return "\n".join(lines), reply_to
    if kind == "reaction":
        emoji = body.get("emoji") or ""
        # A reaction answers the message it reacts to: it threads by it.
        target = str(body.get("message_id") or "")
        return notes.reaction(emoji), target or reply_to
    if kind == "button":
        return str(body.get("text") or ""), reply_to
    if kind == "interactive":
        chosen = body.get("button_reply") or body.get("list_reply") or {}
        return str(chosen.get("title") or ""), reply_to
    return notes.cannot_show("WhatsApp", kind), reply_to


def _time(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)), tz=UTC)
    except (TypeError, ValueError):
        return None


def _media(account: WhatsAppAccount, message: dict) -> tuple[list[InboundAttachment], list[str]]:
    kind = str(message.get("type") or "")
    if kind not in _MEDIA_TYPES or not isinstance(message.get(kind), dict):
        return [], []
    item = message[kind]
    content_type = str(item.get("mime_type") or "application/octet-stream")
    extension = content_type.split("/")[-1].split(";")[0].strip() or "bin"
    name = str(item.get("filename") or f"{kind}-{str(message['id'])[-8:]}.{extension}")[:200]
    why = media.refusal(content_type, None)
    if not why:
        try:
            info = api.media_info(account, str(item.get("id") or ""))
            size = info.get("file_size")
            why = media.refusal(content_type, int(size) if size else None)
            if not why:
                data = api.download(account, str(info.get("url") or ""))
                why = media.refusal(content_type, len(data))
        except TransportError as exc:
            if not exc.permanent:
                raise  # the receipt stays pending and is tried again
            why = str(exc)
    if why:
        return [], [media.LEFT_OUT % {"name": name, "why": why}]
    return [InboundAttachment(name, content_type, data)], []
