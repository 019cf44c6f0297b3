"""Turning raw RFC 5322 bytes into a ParsedEmail, whatever the sender did.

Pure: no database, no settings. Real mail is often broken (wrong or unknown
charsets, bad encoded words, truncated MIME), so every step has a fallback
and only mail with nothing readable at all raises ``UnparsableEmail``.

Message-IDs are kept exactly as sent, without the angle brackets: clients
compare them literally, and our replies must quote them back unchanged.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import mimetypes
import quopri
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from charset_normalizer import from_bytes

from tiski.core.sanitize import sanitize_html

from . import loops, reports


class UnparsableEmail(Exception):
    """Nothing usable could be read from the bytes."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class EmailAddress:
    name: str
    address: str


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes = field(repr=False)
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    subject: str
    sender: EmailAddress
    to: tuple[EmailAddress, ...]
    cc: tuple[EmailAddress, ...]
    reply_to: tuple[EmailAddress, ...]
    date: datetime | None
    text: str
    html: str
    attachments: tuple[ParsedAttachment, ...]
    # Lower-cased names of the headers loop prevention and threading look at.
    headers: dict[str, str]
    is_auto_submitted: bool
    # A report about mail we sent (bounce, delay, complaint, receipt; see
    # reports.py): it never opens a ticket and never gets an automatic reply.
    is_bounce: bool
    # Recipients that failed permanently: these stop getting automatic mail.
    # Empty for delays, complaints and receipts, whose addresses still work.
    bounce_recipients: tuple[str, ...] = ()
    bounce_original_message_id: str = ""
    # "" for ordinary mail, else reports.BOUNCE / DELAY / COMPLAINT / DELIVERED.
    report_kind: str = ""
    # Every address the report is about (failed, delayed, complaining, delivered).
    report_recipients: tuple[str, ...] = ()
    # The conversation root of Outlook's Thread-Index (22 bytes, as hex), or "".
    thread_index_root: str = ""
    # The HTML as sent, only for finding quote markers (sanitising removes
    # the ids and styles some clients mark quotes with). Never store or show it.
    html_source: str = field(default="", repr=False)

    @property
    def recipients(self) -> tuple[EmailAddress, ...]:
        return self.to + self.cc


LOOP_HEADERS = (
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-apple-action",
    "list-id",
    "list-unsubscribe",
    "return-path",
    "x-failed-recipients",
    "thread-index",
    "thread-topic",
    "delivered-to",
    "x-original-to",
)
_ID_IN_BRACKETS = re.compile(r"<\s*([^<>\s]+?)\s*>")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
# Whitespace between two encoded words is not part of the text (RFC 2047).
_ENCODED_WORD_GAP = re.compile(r"(\?=)\s+(=\?)")


def normalise_message_id(value: str) -> str:
    """A Message-ID as we store and compare it: no brackets, no whitespace, case kept."""
    value = value.strip()
    match = _ID_IN_BRACKETS.search(value)
    if match:
        return match.group(1)
    return value.strip("<> \t\r\n")


def parse_id_list(value: str) -> list[str]:
    """Message-IDs from In-Reply-To or References, in order, without duplicates."""
    ids = _ID_IN_BRACKETS.findall(value or "")
    if not ids:
        # Some clients drop the brackets; an @ still marks an id.
        ids = [token.strip("<>,;") for token in (value or "").split() if "@" in token]
    seen: list[str] = []
    for item in ids:
        if item and item not in seen:
            seen.append(item)
    return seen


# Outlook's Thread-Index: a 22-byte header block (a reserved byte, 40 bits
# of a FILETIME, a GUID) naming the conversation, then 5 bytes per reply.
THREAD_INDEX_ROOT_BYTES = 22
THREAD_INDEX_CHILD_BYTES = 5


def thread_index_root(value: str) -> str:
    """The conversation root of a Thread-Index header as lower-case hex, or "".

    Anything that is not base64 of 22 + 5n bytes, or whose GUID is all
    zeros (no conversation at all), is ignored rather than trusted.
    """
    compact = "".join((value or "").split())
    if not compact or len(compact) > 4000:
        return ""
    try:
        data = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return ""
    if len(data) < THREAD_INDEX_ROOT_BYTES:
        return ""
    if (len(data) - THREAD_INDEX_ROOT_BYTES) % THREAD_INDEX_CHILD_BYTES:
        return ""
    if not any(data[6:THREAD_INDEX_ROOT_BYTES]):
        return ""
    return data[:THREAD_INDEX_ROOT_BYTES].hex()


# --- charsets --------------------------------------------------------------


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text from bytes in a declared, wrong or unknown charset; never a crash.

    A declared charset is tried strictly first. ISO-8859-1 labels are read as
    Windows-1252 (a superset, and what Outlook really sends). When the label
    is missing or wrong, charset-normalizer guesses; as the last resort the
    bytes are decoded with replacement characters rather than dropped.
    """
    if not data:
        return ""
    codec = _codec(charset)
    if codec == "ascii":
        candidates = ["ascii", "utf-8"]
    elif codec in ("iso8859-1", "latin-1"):
        # UTF-8 mislabelled as Latin-1 is common and strict UTF-8 almost never
        # matches real Latin-1 text by accident.
        candidates = ["utf-8", "cp1252"]
    elif codec:
        candidates = [codec]
    else:
        candidates = ["utf-8"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    if len(data) < 2000:
        # Detection is unreliable on a few words and tends to pick an Asian
        # code page; for short text the Western European mislabel is far
        # more likely in this desk's mail.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode(codec or "utf-8", errors="replace")


def _undo_surrogates(value: str) -> str:
    # The email package smuggles undecodable bytes as lone surrogates.
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"))


def decode_header_value(raw: str) -> str:
    """An unstructured header (Subject) with RFC 2047 words decoded, leniently."""
    if raw is None:
        return ""
    raw = _undo_surrogates(str(raw))
    try:
        text = str(make_header(decode_header(raw)))
    except Exception:  # noqa: BLE001 - unknown charset or broken encoded word
        text = _ENCODED_WORD_GAP.sub(r"\1\2", raw)
        text = _ENCODED_WORD.sub(_decode_word, text)
    return " ".join(_undo_surrogates(text).split())


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, payload = match.group(1), match.group(2).lower(), match.group(3)
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix
    try:
        if encoding == "b":
            payload = re.sub(r"[^A-Za-z0-9+/]", "", payload)
            data = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            data = quopri.decodestring(
                payload.replace("_", " ").encode("latin-1", "replace"), header=True
            )
    except (ValueError, binascii.Error):
        return match.group(0)
    return decode_bytes(data, charset)


# --- headers ----------------------------------------------------------------


def _raw_header(msg: Message, name: str) -> str:
    for key, value in msg.raw_items():
        if key.lower() == name:
            return str(value)
    return ""


def _header(msg: Message, name: str) -> str:
    """The first ``name`` header, unfolded, encoded words decoded."""
    return decode_header_value(_raw_header(msg, name))


def _addresses(msg: Message, name: str) -> tuple[EmailAddress, ...]:
    # The raw value is split before names are decoded, so an encoded
    # "Virtanen, Minna" stays one person.
    values = [str(v) for k, v in msg.raw_items() if k.lower() == name]
    if not values:
        return ()
    result: list[EmailAddress] = []
    try:
        pairs = getaddresses(values)
    except Exception:  # noqa: BLE001
        pairs = []
    for display, addr in pairs:
        addr = _undo_surrogates(addr).strip().strip("<>")
        if "@" not in addr:
            continue
        result.append(EmailAddress(decode_header_value(display).strip("\"' "), addr))
    return tuple(result)


def _date(msg: Message) -> datetime | None:
    raw = _raw_header(msg, "date")
    if not raw:
        return None
    try:
        value = parsedate_to_datetime(decode_header_value(raw))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


# --- HTML to text -----------------------------------------------------------


class _TextExtractor(HTMLParser):
    _BLOCK = {
        "p",
        "div",
        "br",
        "tr",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "blockquote",
        "pre",
        "hr",
    }
    _SKIP = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.quote = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip += 1
        elif tag == "blockquote":
            self.quote += 1
            self.out.append("\n")
        elif tag in self._BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self.out.append("\n")
        elif tag in self._BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.quote:
            prefix = "> " * self.quote
            data = "\n".join(prefix + line if line.strip() else line for line in data.split("\n"))
        self.out.append(data)


def html_to_text(html: str) -> str:
    """Readable text from HTML, with blockquotes as "> " lines for quote folding."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - malformed markup still yields what was read
        pass
    lines = [
        " ".join(line.replace("\xa0", " ").split()) for line in "".join(parser.out).splitlines()
    ]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- bodies and attachments -------------------------------------------------


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _part_text(part: Message) -> str:
    data = _payload_bytes(part)
    charset = None
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001
        charset = None
    return decode_bytes(data, charset)


def _safe(call, default=None):  # type: ignore[no-untyped-def]
    try:
        return call()
    except Exception:  # noqa: BLE001
        return default


def _filename(part: Message, content_type: str) -> str:
    name = _safe(part.get_filename) or _safe(lambda: part.get_param("name"))
    if isinstance(name, tuple):  # an RFC 2231 triple the parser left undecoded
        name = decode_bytes((name[2] or "").encode("latin-1", "replace"), name[0])
    name = decode_header_value(str(name)) if name else ""
    # Keep only the last path element and no control characters.
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if name:
        return name[:255]
    if content_type == "application/ms-tnef":
        return "winmail.dat"
    if content_type == "text/calendar":
        return "invite.ics"
    if content_type == "message/rfc822":
        return "message.eml"
    if content_type.endswith("rfc822-headers"):
        return "original-headers.txt"
    ext = mimetypes.guess_extension(content_type) or ".bin"
    return f"attachment{ext}"


@dataclass
class _Collected:
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    report_parts: list[Message] = field(default_factory=list)
    feedback_parts: list[Message] = field(default_factory=list)
    original_headers: list[str] = field(default_factory=list)


def _content_type(part: Message) -> str:
    value = _safe(part.get_content_type, "text/plain") or "text/plain"
    return value.lower()


def _collect(part: Message, out: _Collected, depth: int = 0) -> None:
    ctype = _content_type(part)
    if depth > 30:
        return
    # message/* parts look multipart to the email package; they are
    # reports or attached mails, never part of this message's body.
    if ctype in ("message/delivery-status", "message/global-delivery-status"):
        out.report_parts.append(part)
        return
    if ctype == "message/feedback-report":
        out.feedback_parts.append(part)
        return
    if ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
        out.original_headers.append(decode_bytes(_raw_part_bytes(part)))
    elif part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list):
            for child in payload:
                _collect(child, out, depth + 1)
        return
    elif ctype.startswith("multipart/"):
        # A multipart whose boundary never appears (old MTAs, truncated
        # mail): the email package leaves it one string. Its words are still
        # the message, so show them instead of one opaque attachment.
        out.texts.append(_part_text(part))
        return
    disposition = (_safe(part.get_content_disposition) or "").lower()
    has_name = bool(_safe(part.get_filename) or _safe(lambda: part.get_param("name")))
    is_body = ctype in ("text/plain", "text/html") and disposition != "attachment" and not has_name
    if is_body:
        if ctype == "text/plain":
            out.texts.append(_part_text(part))
        else:
            out.htmls.append(_part_text(part))
        return
    data = _raw_part_bytes(part) if ctype.startswith("message/") else _payload_bytes(part)
    content_id = normalise_message_id(_header(part, "content-id")) if part.get("content-id") else ""
    out.attachments.append(
        ParsedAttachment(
            filename=_filename(part, ctype),
            content_type=ctype,
            data=data,
            content_id=content_id,
            inline=bool(content_id) and disposition != "attachment",
        )
    )


def _raw_part_bytes(part: Message) -> bytes:
    payload = _safe(part.get_payload)
    if isinstance(payload, list) and payload:
        inner = payload[0]
        raw = _safe(lambda: inner.as_bytes(policy=policy.compat32))
        if raw is None:
            raw = _safe(
                lambda: inner.as_string(policy=policy.compat32).encode("utf-8", "surrogateescape"),
                b"",
            )
        return raw or b""
    return _payload_bytes(part)


# --- loops and bounces ------------------------------------------------------


def _auto_submitted(headers: dict[str, str], sender: EmailAddress) -> bool:
    # One rule set for "machine-written": the one the outbox explains itself with.
    return bool(loops.inbound_auto_reason(headers, sender.address))


def _report_fields(part: Message) -> list[dict[str, str]]:
    """The per-message and per-recipient field groups of a delivery-status part."""
    groups: list[dict[str, str]] = []
    payload = _safe(part.get_payload)
    if isinstance(payload, list):
        for block in payload:
            items = _safe(lambda b=block: list(b.raw_items()), []) or []
            groups.append({k.lower(): " ".join(str(v).split()) for k, v in items})
        return groups
    text = payload if isinstance(payload, str) else decode_bytes(_payload_bytes(part))
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        group: dict[str, str] = {}
        for line in chunk.splitlines():
            key, sep, value = line.partition(":")
            if sep and key and not key.startswith((" ", "\t")):
                group[key.strip().lower()] = value.strip()
        if group:
            groups.append(group)
    return groups


def _feedback_fields(part: Message) -> list[dict[str, str]]:
    """The fields of a message/feedback-report part, one group per field.

    Original-Rcpt-To may repeat (one per complaining recipient), so the
    fields are not folded into one dict.
    """
    payload = _safe(part.get_payload)
    if isinstance(payload, list):
        items = [
            (str(k), str(v))
            for block in payload
            for k, v in (_safe(lambda b=block: list(b.raw_items()), []) or [])
        ]
    else:
        text = payload if isinstance(payload, str) else decode_bytes(_payload_bytes(part))
        items = [
            (key, value)
            for key, sep, value in (line.partition(":") for line in text.splitlines())
            if sep and key and not key.startswith((" ", "\t"))
        ]
    return [{k.strip().lower(): " ".join(v.split())} for k, v in items]


def _read_report(
    msg: Message,
    collected: _Collected,
    *,
    raw: bytes,
    headers: dict[str, str],
    sender: EmailAddress,
    subject: str,
    message_id: str,
) -> reports.Report | None:
    report_type = _safe(lambda: msg.get_param("report-type")) or ""
    other_parts = [
        a.data
        for a in collected.attachments
        if a.content_type.startswith(("text/", "message/")) and len(a.data) < 1_000_000
    ]
    return reports.read_report(
        reports.ReportInput(
            content_type=_content_type(msg),
            report_type=report_type.lower() if isinstance(report_type, str) else "",
            subject=subject,
            sender=sender.address.lower(),
            to=[a.address for a in (*_addresses(msg, "to"), *_addresses(msg, "cc"))],
            headers=headers,
            texts=[t for t in collected.texts if t.strip()],
            original_headers=collected.original_headers,
            dsn_groups=[g for part in collected.report_parts for g in _report_fields(part)],
            feedback_groups=[
                g for part in collected.feedback_parts for g in _feedback_fields(part)
            ],
            other_parts=other_parts,
            own_message_id=message_id,
            raw=raw[:2_000_000],
        )
    )


# --- the entry point ---------------------------------------------------------


def parse_email(raw: bytes) -> ParsedEmail:
    """Everything Tiski needs from one raw message.

    Raises ``UnparsableEmail`` only when there is nothing to read: empty
    input or bytes with no recognisable header.
    """
    if not raw or not raw.strip():
        raise UnparsableEmail("empty message")
    # An mbox "From " line before the headers would hide all of them.
    if raw.startswith(b"From "):
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    # The compat32 policy keeps header values as the raw strings they were:
    # this module decodes what it reads itself (leniently, see
    # decode_header_value), and skipping the modern policy's parse of every
    # header it touches makes parsing three times faster.
    try:
        msg = email.message_from_bytes(raw, policy=policy.compat32)
    except Exception as exc:  # noqa: BLE001
        raise UnparsableEmail(f"MIME structure unreadable: {exc}") from exc
    keys = {k.lower() for k, _v in msg.raw_items()}
    known = {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "content-type",
        "received",
        "mime-version",
        "sender",
        "return-path",
        "cc",
    }
    if not keys & known:
        raise UnparsableEmail("no email headers found")

    headers = {name: _header(msg, name) for name in LOOP_HEADERS if name in keys}
    senders = _addresses(msg, "from") or _addresses(msg, "sender")
    sender = senders[0] if senders else EmailAddress("", "")
    message_id = normalise_message_id(_header(msg, "message-id"))
    in_reply_to = parse_id_list(_header(msg, "in-reply-to"))
    references = parse_id_list(_header(msg, "references"))

    collected = _Collected()
    try:
        _collect(msg, collected)
    except Exception:  # noqa: BLE001 - keep what was read before the break
        # A structure the modern policy cannot walk; the old one is lenient.
        collected = _Collected()
        _collect(email.message_from_bytes(raw, policy=policy.compat32), collected)

    html_raw = "\n".join(h for h in collected.htmls if h.strip())
    text = "\n\n".join(t.strip("\n") for t in collected.texts if t.strip())
    html = sanitize_html(html_raw) if html_raw.strip() else ""
    if not text.strip() and html_raw.strip():
        text = html_to_text(html_raw)
    if not text.strip() and not html and not collected.attachments:
        # A single-part message whose type we did not treat as a body still
        # has words in it: show them rather than an empty message.
        body = _payload_bytes(msg) if not msg.is_multipart() else b""
        if body.strip() and _content_type(msg).startswith("text/"):
            text = decode_bytes(body, _safe(msg.get_content_charset))

    subject = decode_header_value(_raw_header(msg, "subject"))
    report = _read_report(
        msg,
        collected,
        raw=raw,
        headers=headers,
        sender=sender,
        subject=subject,
        message_id=message_id,
    )
    is_bounce = report is not None

    return ParsedEmail(
        message_id=message_id,
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=tuple(references),
        subject=subject,
        sender=sender,
        to=_addresses(msg, "to"),
        cc=_addresses(msg, "cc"),
        reply_to=_addresses(msg, "reply-to"),
        date=_date(msg),
        text=text,
        html=html,
        attachments=tuple(collected.attachments),
        headers=headers,
        is_auto_submitted=is_bounce or _auto_submitted(headers, sender),
        is_bounce=is_bounce,
        bounce_recipients=report.permanent if report else (),
        bounce_original_message_id=report.original_message_id if report else "",
        report_kind=report.kind if report else "",
        report_recipients=report.recipients if report else (),
        thread_index_root=thread_index_root(headers.get("thread-index", "")),
        html_source=html_raw,
    )
