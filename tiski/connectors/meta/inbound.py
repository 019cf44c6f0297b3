"""Messenger and Instagram webhook events: messages to the intake, receipts to the outbox.

One POST (``object: page`` or ``instagram``) carries ``entry[].messaging[]``
events. A message, a postback (a button tap) and a reaction are each
stored as their own receipt (source ``meta:<account id>``), keyed by the
message id (mid) Meta gives it, so a retried POST stores nothing new; a
reaction has no id of its own and is keyed by a digest of the event.
``delivery`` and ``read`` events move the outbox rows (by mid, or every
row up to Messenger's watermark). Other events (opt-ins, referrals,
hand-over) are acknowledged and not kept.

The sender is an identity of kind ``messenger`` (the page-scoped id, PSID)
or ``instagram`` (IGSID); the first message of a new sender asks the Graph
API for the name once. An *echo* is a message the page itself sent: one
Tiski sent is recognised by its stored mid and skipped; one written in
Meta's own inbox is shown on the customer's open ticket as a public reply
of the page.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.utils import timezone

from tiski.connectors.messaging import intake, media, notes, outbox
from tiski.connectors.messaging.inbound import InboundAttachment, InboundMessage, Malformed
from tiski.connectors.models import InboundReceipt, MessageStatus, OutboundMessage
from tiski.connectors.transport import TransportError
from tiski.customers.models import Identity
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Ticket, Via

from . import api
from .models import MetaAccount, MetaKind

log = logging.getLogger(__name__)

SOURCE_PREFIX = "meta:"
OBJECTS = {MetaKind.MESSENGER: "page", MetaKind.INSTAGRAM: "instagram"}
REASON_NO_ACCOUNT = "The Facebook page or Instagram account this message came to was deleted."
REASON_OWN_ECHO = "The echo of a reply Tiski sent itself; already on the ticket."
REASON_ECHO_NO_TICKET = (
    "A message the page sent in Meta's inbox to someone without an open ticket; not shown."
)
REASON_DELETED = "The customer deleted message %(mid)s; nothing to show."
REASON_FROM_PAGE = "An event sent by the page itself that is not an echo; ignored."
FALLBACK_NAMES = {MetaKind.MESSENGER: "Messenger user", MetaKind.INSTAGRAM: "Instagram user"}
_MEDIA_TYPES = ("image", "video", "audio", "file")
_FALLBACK_CONTENT_TYPES = {
    "image": "image/jpeg",
    "video": "video/mp4",
    "audio": "audio/mpeg",
    "file": "application/octet-stream",
}


@dataclass(frozen=True)
class Receipt:
    """A delivery or read event: the mids it names, or Messenger's watermark (ms)."""

    status: str
    customer: str
    mids: tuple[str, ...] = ()
    watermark: int | None = None


def source_for(account: MetaAccount) -> str:
    return f"{SOURCE_PREFIX}{account.pk}"


def conversation_id(account: MetaAccount, customer: str) -> str:
    return f"{account.pk}:{customer}"


# --- the webhook's POST ----------------------------------------------------------------


def split(account: MetaAccount, body: bytes) -> tuple[list[tuple[str, dict]], list[Receipt]]:
    """The events to keep (each with its receipt key) and the delivery/read receipts."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Malformed("not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise Malformed("no entry list")
    if data.get("object") != OBJECTS[MetaKind(account.kind)]:
        raise Malformed(
            f"object {str(data.get('object'))[:40]!r} is not {OBJECTS[MetaKind(account.kind)]!r}"
        )
    kept: list[tuple[str, dict]] = []
    receipts: list[Receipt] = []
    for entry in data["entry"]:
        if not isinstance(entry, dict):
            raise Malformed("an entry that is not an object")
        for event in entry.get("messaging") or []:
            if not isinstance(event, dict):
                raise Malformed("an event that is not an object")
            sender = (event.get("sender") or {}).get("id")
            recipient = (event.get("recipient") or {}).get("id")
            if not sender or not recipient:
                raise Malformed("an event without sender or recipient id")
            if "message" in event:
                message = event["message"]
                if not isinstance(message, dict) or not message.get("mid"):
                    raise Malformed("a message without mid")
                kept.append((str(message["mid"]), event))
            elif "postback" in event:
                postback = event["postback"] if isinstance(event["postback"], dict) else {}
                kept.append((str(postback.get("mid") or "postback:" + _digest(event)), event))
            elif "reaction" in event:
                kept.append(("reaction:" + _digest(event), event))
            elif "delivery" in event or "read" in event:
                receipts.append(_receipt(event, str(sender)))
    return kept, receipts


def _digest(event: dict) -> str:
    # The same event delivered twice is the same JSON: the same key.
    return hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()[:40]


def _receipt(event: dict, customer: str) -> Receipt:
    status = MessageStatus.DELIVERED if "delivery" in event else MessageStatus.READ
    body = event.get("delivery") or event.get("read") or {}
    if not isinstance(body, dict):
        raise Malformed("a delivery or read event that is not an object")
    mids = [str(m) for m in body.get("mids") or [] if m]
    if body.get("mid"):
        mids.append(str(body["mid"]))
    watermark = body.get("watermark")
    return Receipt(
        status, customer, tuple(mids), int(watermark) if isinstance(watermark, int) else None
    )


def apply_receipt(account: MetaAccount, receipt: Receipt) -> int:
    """Move our messages the receipt speaks of; how many moved."""
    channel = account.channel
    ids = list(receipt.mids)
    if receipt.watermark is not None:
        # "Everything sent before this moment was delivered / read."
        until = datetime.fromtimestamp(receipt.watermark / 1000, tz=UTC)
        ids += OutboundMessage.objects.filter(
            channel=channel,
            account_id=account.pk,
            recipient=receipt.customer,
            sent_at__lte=until,
        ).values_list("provider_message_id", flat=True)
    return sum(outbox.record_status(channel, mid, receipt.status) for mid in set(ids) if mid)


# --- a receipt to a message ------------------------------------------------------------


def process_receipt(receipt_id: int) -> intake.Result:
    """The registry's intake for Messenger and Instagram receipts."""
    return intake.process(receipt_id, handle)


def handle(receipt: InboundReceipt, raw: bytes) -> intake.Delivered | str:
    value = receipt.source.removeprefix(SOURCE_PREFIX)
    account = MetaAccount.objects.filter(pk=int(value) if value.isdigit() else None).first()
    if account is None:
        raise Malformed(REASON_NO_ACCOUNT)
    try:
        event = json.loads(raw)
        sender = str(event["sender"]["id"])
        recipient = str(event["recipient"]["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise Malformed("not a stored Messenger or Instagram event") from exc
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    if message.get("is_echo"):
        return _echo(account, recipient, event, message)
    if sender == account.account_id:
        return REASON_FROM_PAGE
    if message.get("is_deleted"):
        return REASON_DELETED % {"mid": message.get("mid")}
    text, reply_to, extra = describe(event)
    attachments, notes = _media(message)
    if notes:
        text = "\n".join([text, *notes]).strip()
    msg = InboundMessage(
        channel=account.channel,
        account=account.pk,
        sender_kind=account.identity_kind,
        sender_value=sender,
        sender_name=_name_once(account, sender),
        text=text,
        provider_id=receipt.key[:200],
        attachments=tuple(attachments),
        reply_to_id=reply_to,
        conversation_id=conversation_id(account, sender),
        sent_at=_time(event.get("timestamp")),
        meta=extra,
    )
    return intake.deliver_inbound(msg, team=account.default_team, ticket_type=account.default_type)


def describe(event: dict) -> tuple[str, str, dict]:
    """The event as text an agent reads, the mid it answers ("" if none), and details."""
    if isinstance(event.get("postback"), dict):
        postback = event["postback"]
        # The button's title is what the customer saw and tapped.
        title = str(postback.get("title") or postback.get("payload") or "")
        return title, "", {"postback": str(postback.get("payload") or "")[:1000]}
    if isinstance(event.get("reaction"), dict):
        reaction = event["reaction"]
        emoji = str(reaction.get("emoji") or "")
        removed = reaction.get("action") == "unreact"
        text = notes.reaction("" if removed else emoji)
        # A reaction answers the message it reacts to: it threads by it.
        return text, str(reaction.get("mid") or ""), {}
    message = event.get("message") or {}
    reply_to = str((message.get("reply_to") or {}).get("mid") or "")
    extra = {}
    if isinstance(message.get("quick_reply"), dict):
        extra["quick_reply"] = str(message["quick_reply"].get("payload") or "")[:1000]
    lines = [str(message.get("text") or "")]
    for item in message.get("attachments") or []:
        if isinstance(item, dict) and item.get("type") not in _MEDIA_TYPES:
            lines.append(_shared(item))
    return "\n".join(line for line in lines if line), reply_to, extra


def _shared(item: dict) -> str:
    """A shared post, story mention, reel or link: what it is and where."""
    payload = item.get("payload") if isinstance(item.get("payload"), dict) else {}
    kind = str(item.get("type") or "unknown")
    if kind == "location" and isinstance(payload.get("coordinates"), dict):
        lat, lon = payload["coordinates"].get("lat"), payload["coordinates"].get("long")
        return f"📍 {item.get('title') or ''} ({lat}, {lon})".replace("  ", " ")
    url = str(payload.get("url") or item.get("url") or "")
    title = str(item.get("title") or payload.get("title") or "")
    return " ".join(x for x in (f"[{kind}]", title, url) if x)


def _name_once(account: MetaAccount, sender: str) -> str:
    """The sender's name from the Graph API, asked only for someone new."""
    if Identity.objects.filter(kind=account.identity_kind, value=sender).exists():
        return ""
    try:
        name = api.profile_name(account, sender)
    except (TransportError, ImproperlyConfigured) as exc:
        # No name is no reason to keep the customer's message waiting.
        log.info("No profile for %s %s: %s", account.kind, sender, exc)
        name = ""
    return name or FALLBACK_NAMES[MetaKind(account.kind)]


def _time(value: object) -> datetime | None:
    # Meta's timestamps are in milliseconds.
    return datetime.fromtimestamp(value / 1000, tz=UTC) if isinstance(value, int) else None


def _media(message: dict) -> tuple[list[InboundAttachment], list[str]]:
    """The message's images, videos, audio and files, and notes on those left out."""
    attachments, notes = [], []
    for n, item in enumerate(message.get("attachments") or [], start=1):
        if not isinstance(item, dict) or item.get("type") not in _MEDIA_TYPES:
            continue
        url = str((item.get("payload") or {}).get("url") or "")
        name = _file_name(url, str(item["type"]), str(message.get("mid") or ""), n)
        try:
            response = api.download(url)
        except TransportError as exc:
            if not exc.permanent:
                raise  # the receipt stays pending and is tried again
            notes.append(media.LEFT_OUT % {"name": name, "why": str(exc)})
            continue
        content_type = (
            response.headers.get("content-type", "").split(";")[0].strip()
            or mimetypes.guess_type(name)[0]
            or _FALLBACK_CONTENT_TYPES[str(item["type"])]
        )
        why = media.refusal(content_type, len(response.body))
        if why:
            notes.append(media.LEFT_OUT % {"name": name, "why": why})
        else:
            attachments.append(InboundAttachment(name, content_type, response.body))
    return attachments, notes


def _file_name(url: str, kind: str, mid: str, n: int) -> str:
    last = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    if last and "." in last:
        return last[:200]
    return f"{kind}-{mid[-8:]}-{n}"


# --- echoes: what the page itself sent -------------------------------------------------

# How many of the latest rows to a customer are searched for the mid of a file we sent.
_RECENT_ROWS = 20


def _sent_by_tiski(
    account: MetaAccount, customer: str, mid: str, text: str, *, has_files: bool
) -> bool:
    """Whether an echo is of a message Tiski sent: the mid of a row's text or of one of
    its files, or (the echo may come before the Send API's answer is stored) a row still
    being sent to this customer with this text, or with files when the echo is a file."""
    if OutboundMessage.objects.filter(channel=account.channel, provider_message_id=mid).exists():
        return True
    rows = OutboundMessage.objects.filter(
        channel=account.channel, account_id=account.pk, recipient=customer
    )
    in_flight = rows.filter(status=MessageStatus.SENDING)
    if in_flight.filter(body=text).exists():
        return True
    recent = rows.order_by("-id").values_list("status", "attachments")[:_RECENT_ROWS]
    for status, files in recent:
        if not files:
            continue
        if any(item.get("sent") == mid for item in files):
            return True
        if has_files and not text and status == MessageStatus.SENDING:
            return True
    return False


def _echo(
    account: MetaAccount, customer: str, event: dict, message: dict
) -> intake.Delivered | str:
    mid = str(message["mid"])
    text = str(message.get("text") or "")
    if _sent_by_tiski(account, customer, mid, text, has_files=bool(message.get("attachments"))):
        return REASON_OWN_ECHO
    identity = (
        Identity.objects.filter(kind=account.identity_kind, value=customer)
        .select_related("contact")
        .first()
    )
    if identity is None:
        return REASON_ECHO_NO_TICKET
    probe = InboundMessage(
        channel=account.channel,
        account=account.pk,
        sender_kind=account.identity_kind,
        sender_value=customer,
        text=text,
        provider_id=mid,
        reply_to_id=str((message.get("reply_to") or {}).get("mid") or ""),
        conversation_id=conversation_id(account, customer),
    )
    ticket = intake.find_ticket(probe, identity.contact, now=timezone.now())
    if ticket is None:
        return REASON_ECHO_NO_TICKET
    _text, _reply_to, extra = describe(event)
    attachments, notes = _media(message)
    body = "\n".join([_text, *notes]).strip()
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    reply = actions.add_message(
        ticket,
        kind=MessageKind.PUBLIC,
        actor=None,
        via=Via.CHANNEL,
        channel=account.channel,
        text=body,
        attachments=[
            actions.NewAttachment(a.filename, ContentFile(a.data, name=a.filename), a.content_type)
            for a in attachments
        ],
        external_id=mid[:200],
        meta={
            "account": account.pk,
            "to": customer,
            "provider_id": mid,
            "conversation_id": probe.conversation_id,
            # Shown as the page's message written outside Tiski.
            "echo": True,
            "page": account.name,
            **extra,
        },
    )
    return intake.Delivered(reply, created=False)
