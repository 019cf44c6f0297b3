"""What a report about mail we sent says: bounces, delays, complaints, receipts.

A "report" is mail a machine writes about a message that went out: an RFC
3464 delivery status notification, an older MTA's plain-text failure notice,
an ARF (RFC 5965) abuse or feedback-loop report, or an Amazon SES
notification carried by SNS. Reports never open a ticket and never get an
automatic answer; what happens to the addresses they name depends on the
kind:

- ``bounce``: delivery failed. Recipients in ``permanent`` failed for good
  (5.x.x) and stop getting automatic mail; the rest (a final 4.x.x, an SES
  "Transient" bounce such as a full mailbox) failed this once.
- ``delay``: still being retried; nothing is wrong with the address yet.
- ``complaint``: the recipient reported our mail as spam or asked to stop.
  The address works; marking it undeliverable would hide that a customer is
  unhappy behind "bounced".
- ``delivered``: a success receipt (DSN "delivered"/"relayed", SES Delivery).

Pure: strings and dicts in, a ``Report`` out. ``parse.py`` walks the MIME
structure and hands the pieces over.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.parser import HeaderParser
from email.utils import getaddresses
from typing import Any

from tiski.customers.addresses import is_daemon, is_no_reply  # noqa: F401 - used here and by loops

BOUNCE = "bounce"
DELAY = "delay"
COMPLAINT = "complaint"
DELIVERED = "delivered"
KINDS = (BOUNCE, DELAY, COMPLAINT, DELIVERED)


@dataclass(frozen=True)
class Report:
    kind: str
    # Lower-case addresses the report is about, in order of appearance.
    recipients: tuple[str, ...] = ()
    # The subset that failed permanently (only for bounces).
    permanent: tuple[str, ...] = ()
    # The Message-ID of our message the report is about, without brackets.
    original_message_id: str = ""


@dataclass(frozen=True)
class ReportInput:
    """The pieces of a parsed mail that reports are read from."""

    content_type: str
    report_type: str
    subject: str
    sender: str
    # Addresses the report itself was delivered to: the original sender.
    to: Sequence[str]
    headers: Mapping[str, str]
    # Body text parts, in order.
    texts: Sequence[str]
    # Attached originals (message/rfc822 or only its headers), as text.
    original_headers: Sequence[str]
    # Field groups of message/delivery-status parts and of message/feedback-report parts.
    dsn_groups: Sequence[Mapping[str, str]]
    feedback_groups: Sequence[Mapping[str, str]]
    # Other attached parts (text, message/partial, ...): only searched for the id.
    other_parts: Sequence[bytes] = field(default=(), repr=False)
    own_message_id: str = ""
    # The whole raw message, for the last-resort Message-ID search.
    raw: bytes = field(default=b"", repr=False)


# --- recognising ---------------------------------------------------------------------

BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status )?(notification|failure)|failure notice|returned mail|"
    r"returning to sender|returned to sender|mail delivery (failed|failure|system)|"
    r"delivery has failed|could not be delivered|could not send|failed delivery|"
    r"failure delivery|mail failure|mail failed|delayed mail|error sending|delayed \d+ hours|"
    r"delivery (?:status )?(?:report|problem)|mail system error|"
    r"postfix smtp server: errors from|"
    r"non remis|unzustellbar|toimitus ep|ei voitu toimittaa|配信できません|メールエラー",
    re.IGNORECASE,
)
# What failure notices say in their first lines. Only read when a mail
# system (or a null return path) sent the mail: a customer writing "my
# order could not be delivered" is a customer.
_BOUNCE_BODY = re.compile(
    r"could not be delivered|couldn't be delivered|was not delivered to|"
    r"did not reach the following recipient|unable to deliver|delivery (?:has )?failed|"
    r"permanent (?:fatal )?error|invalid (?:user|recipient) address|no such user|"
    r"user unknown|unknown user|recipient address rejected|mailbox unavailable|"
    r"message could not be delivered|delivery to the following recipient|"
    r"送信できませんでした|配信できませんでした",
    re.IGNORECASE,
)
_DELAY_SUBJECT = re.compile(
    r"delay|warning|still being retried|could not send (?:message|mail) for past|"
    r"deferred|not yet delivered",
    re.IGNORECASE,
)
_DELAY_BODY = re.compile(
    r"warning message only|no action is required on your part|has not yet been delivered|"
    r"will (?:continue|keep) (?:to try|trying)|will be retried|message will be retried|"
    r"still being retried|delivery attempts will continue|has been delayed",
    re.IGNORECASE,
)
# Said by a failure notice that a delay notice never says.
_GAVE_UP = re.compile(
    r"permanent(?:ly)?|gave up|given up|giving up|could not be delivered|was not delivered",
    re.IGNORECASE,
)
_SES_TYPES = {
    "Bounce",
    "Complaint",
    "Delivery",
    "DeliveryDelay",
    "Reject",
    "Rendering Failure",
    "Send",
    "Open",
    "Click",
    "Subscription",
}


def read_report(data: ReportInput) -> Report | None:
    """The report this mail is, or None for mail a person (or a newsletter) wrote."""
    # Only from Amazon or a mail system: a developer pasting SES JSON into a
    # support mail is still a customer.
    ses = _ses_notification(data.texts) if _from_amazon(data) or _from_machine(data) else None
    if ses is not None:
        return _ses_report(ses)
    if data.feedback_groups or data.report_type == "feedback-report":
        return _feedback_report(data, _original_message_id(data))
    hotmail = _hotmail_complaint(data)
    if hotmail is not None:
        return Report(COMPLAINT, hotmail, (), _original_message_id(data))
    is_dsn = bool(data.dsn_groups) or (
        data.content_type == "multipart/report"
        and data.report_type in ("delivery-status", "global-delivery-status")
    )
    machine = _from_machine(data)
    text_groups = (
        _text_dsn_groups(data.texts) if not data.dsn_groups and (is_dsn or machine) else []
    )
    if not (is_dsn or (text_groups and machine) or _looks_like_failure_notice(data)):
        return None
    # Only now: searching every part for the id is wasted on ordinary mail.
    original = _original_message_id(data)
    report = _dsn_report([*data.dsn_groups, *text_groups], original)
    if report.recipients:
        return report
    # No status part, or one we could not read: the notice's text says who.
    return _text_report(data, original)


def _from_amazon(data: ReportInput) -> bool:
    domain = (data.sender or "").rpartition("@")[2]
    return domain == "amazonaws.com" or domain.endswith((".amazonaws.com", ".amazonses.com"))


def _from_machine(data: ReportInput) -> bool:
    """Sent by a mail system: no sender, a daemon address or a null return path."""
    null_path = data.headers.get("return-path", "").replace(" ", "") == "<>"
    return not data.sender or is_daemon(data.sender) or null_path


def _looks_like_failure_notice(data: ReportInput) -> bool:
    if "x-failed-recipients" in data.headers:
        return True
    sender = data.sender
    machine = _from_machine(data)
    subject = bool(BOUNCE_SUBJECT.search(data.subject))
    if machine and subject:
        return True
    head = _notification_text(data.texts)[:3000]
    if machine and sender and _BOUNCE_BODY.search(head):
        return True
    # Some providers send failures from a no-reply address; then the returned
    # original must be attached as well.
    return (
        is_no_reply(sender)
        and bool(data.original_headers)
        and bool(subject or _BOUNCE_BODY.search(head))
    )


# --- delivery status notifications --------------------------------------------------


def _address_of(value: str) -> str:
    # "rfc822; <a@b>" and "rfc822;a@b" alike.
    addr = value.rpartition(";")[2].strip().strip("<>").strip().lower()
    return addr if "@" in addr and " " not in addr else ""


def _dsn_report(groups: Sequence[Mapping[str, str]], original: str) -> Report:
    failed: list[str] = []
    permanent: list[str] = []
    delayed: list[str] = []
    delivered: list[str] = []
    for group in groups:
        recipient = group.get("final-recipient") or group.get("original-recipient") or ""
        addr = _address_of(recipient)
        if not addr:
            continue
        action = group.get("action", "failed").strip().lower()
        status = group.get("status", "").strip()
        if action.startswith("delayed"):
            _add(delayed, addr)
        elif action.startswith(("delivered", "relayed", "expanded")):
            _add(delivered, addr)
        else:
            _add(failed, addr)
            # 4.x.x is a transient condition even when the MTA gave up on the message.
            if not status.startswith("4"):
                _add(permanent, addr)
    if failed:
        return Report(BOUNCE, tuple(failed), tuple(permanent), original)
    if delayed:
        return Report(DELAY, tuple(delayed), (), original)
    if delivered:
        return Report(DELIVERED, tuple(delivered), (), original)
    return Report(BOUNCE, (), (), original)


_TEXT_FIELD = re.compile(
    # Not after ">": a person quoting a report in a reply is still a person.
    r"^[ \t]*(final-recipient|original-recipient|action|status)[ \t]*:[ \t]*(.+)$",
    re.IGNORECASE | re.MULTILINE,
)


def _text_dsn_groups(texts: Sequence[str]) -> list[dict[str, str]]:
    """DSN fields some MTAs paste into the text part instead of a status part."""
    groups: list[dict[str, str]] = []
    for text in texts:
        current: dict[str, str] = {}
        for match in _TEXT_FIELD.finditer(_notification_text([text])):
            name, value = match.group(1).lower(), match.group(2).strip()
            if name in ("final-recipient", "original-recipient") and (
                "final-recipient" in current
                or (name == "original-recipient" and "original-recipient" in current)
            ):
                groups.append(current)
                current = {}
            current.setdefault(name, value)
        if any(k in current for k in ("final-recipient", "original-recipient")):
            groups.append(current)
    return groups


# --- plain-text failure notices ----------------------------------------------------------

_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
# An address on a line of its own, the way MTAs list failed recipients:
# "<a@b>:", ">>> a@b <a@b>", "a@b on 29 Apr", "a@b (reason)", "<a@b>... User unknown".
_RECIPIENT_LINE = re.compile(
    r"^[ \t>*-]*(?:rcpt to:\s*)?\"?<?(" + _ADDRESS.pattern + r")>?\"?[ \t]*"
    r"(?:$|[:;,(\[]|\.\.\.|on |<|-)",
    re.IGNORECASE | re.MULTILINE,
)
# Lines where the notice's own text ends and a copy of the original begins.
_COPY_MARKER = re.compile(
    r"^[ \t>*-]*(?:"
    r"(?:this is a |a )?copy of (?:the|your) (?:original )?message|"
    r"below this line is a copy|original message(?! was received)|"
    r"the original message (?:is|was) (?:attached|included|below)|"
    r"original message follows|message headers follow|undelivered message|returned message|"
    r"headers? of the original|your message (?:reads|follows)|"
    r"the header of the original message|unsent message below|"
    r"-+ ?(?:original|returned|undelivered) "
    r")",
    re.IGNORECASE | re.MULTILINE,
)
# Zoho writes "Received:from", without the space.
_HEADER_LINE = re.compile(
    r"^(?:received|return-path|from|to|subject|date|message-id|mime-version|content-type|"
    r"delivered-to|dkim-signature|reply-to|x-[a-z0-9-]+):[ \t]?",
    re.IGNORECASE | re.MULTILINE,
)
_COPY_SENDER = re.compile(
    r"^(?:from|return-path|sender|reply-to):(.*)$", re.IGNORECASE | re.MULTILINE
)
# "For further assistance, please contact <support@provider>": not a recipient.
_HELP_LINE = re.compile(r"contact|assistance|support|help", re.IGNORECASE)


def _notification_text(texts: Sequence[str]) -> str:
    """The first text part up to where a copy of the original message begins."""
    return _split_notice(texts)[0]


def _split_notice(texts: Sequence[str]) -> tuple[str, str]:
    """(the notice's own words, the copy of the original that follows them)."""
    text = (texts[0] if texts else "").replace("\r\n", "\n")
    cut = len(text)
    marker = _COPY_MARKER.search(text)
    if marker:
        cut = marker.start()
    # An unannounced copy: two header lines in a row at the start of lines.
    for match in _HEADER_LINE.finditer(text, 0, cut):
        rest = text[match.end() :].split("\n", 3)
        following = rest[1] if len(rest) > 1 else ""
        following_next = rest[2] if len(rest) > 2 else ""
        if _HEADER_LINE.match(following) or (
            following[:1] in (" ", "\t") and _HEADER_LINE.match(following_next)
        ):
            cut = min(cut, match.start())
            break
    return text[:cut], text[cut:]


def _text_report(data: ReportInput, original: str) -> Report:
    notice, copy = _split_notice(data.texts)
    senders = _sender_side(data)
    # The copy's own sender lines ("Return-path: <we@x>") name our side too.
    for match in _COPY_SENDER.finditer(copy[:20000]):
        senders.update(a for _n, a in _pairs([match.group(1)]))
    # Message-IDs look like addresses: "<1a2b.3c@zoho.example>" is not a person.
    ids = {i.lower() for i in (original, data.own_message_id) if i}

    def usable(addr: str) -> bool:
        return addr not in senders and addr not in ids and not is_daemon(addr)

    found: list[str] = []
    for addr in _header_list(data.headers.get("x-failed-recipients", "")):
        _add(found, addr)
    for match in _RECIPIENT_LINE.finditer(notice):
        addr = match.group(1).lower()
        if usable(addr):
            _add(found, addr)
    if not found:
        for line in notice.splitlines():
            if _HELP_LINE.search(line):
                continue
            for match in _ADDRESS.finditer(line):
                addr = match.group(0).lower()
                if usable(addr):
                    _add(found, addr)
    if not found:
        # A notice that names nobody, about a message to one person: that person.
        to = _original_recipients(data)
        if len(to) == 1 and to[0] not in senders:
            found = to
    delay = bool(_DELAY_SUBJECT.search(data.subject) or _DELAY_BODY.search(notice))
    if delay and not _GAVE_UP.search(notice):
        return Report(DELAY, tuple(found), (), original)
    return Report(BOUNCE, tuple(found), tuple(found), original)


def _sender_side(data: ReportInput) -> set[str]:
    """Addresses on our side of the conversation: never the failed recipients."""
    side = {a.lower() for a in data.to if a}
    side.add((data.sender or "").lower())
    # Not X-Original-To: DragonFly's dma names the failed recipient there.
    side.update(_header_list(data.headers.get("delivered-to", "")))
    for block in data.original_headers[:1]:
        headers = _headers_of(block)
        for name in ("from", "sender", "return-path", "reply-to"):
            side.update(a for _n, a in _pairs(headers.get_all(name) or []))
    side.discard("")
    return side


def _original_recipients(data: ReportInput) -> list[str]:
    if not data.original_headers:
        return []
    headers = _headers_of(data.original_headers[0])
    return [a for _n, a in _pairs([*(headers.get_all("to") or []), *(headers.get_all("cc") or [])])]


# --- complaints ---------------------------------------------------------------------------


def _feedback_report(data: ReportInput, original: str) -> Report:
    found: list[str] = []
    for group in data.feedback_groups:
        for key in ("original-rcpt-to", "removal-recipient"):
            addr = _address_of(group.get(key, ""))
            if addr:
                _add(found, addr)
    if not found:
        # Providers often redact the complainant; the copy may still say.
        for addr in _original_recipients(data):
            _add(found, addr)
    return Report(COMPLAINT, tuple(found), (), original)


_HOTMAIL_RECIPIENT = re.compile(
    r"^x-hmxmroriginalrecipient:\s*<?([^\s<>]+@[^\s<>]+)>?", re.IGNORECASE | re.MULTILINE
)


def _hotmail_complaint(data: ReportInput) -> tuple[str, ...] | None:
    """Outlook.com's feedback loop (JMRP): the reported message attached, marked by Microsoft."""
    found: list[str] = []
    for block in data.original_headers:
        for match in _HOTMAIL_RECIPIENT.finditer(block.replace("\r\n", "\n")):
            _add(found, match.group(1).lower())
    return tuple(found) if found else None


# --- Amazon SES ---------------------------------------------------------------------------

# sendmail folds lines over 990 characters as "!\n " when it relays them.
_SENDMAIL_FOLD = re.compile(r"!\r?\n ")


def _ses_notification(texts: Sequence[str]) -> dict[str, Any] | None:
    """An SES notification whose JSON is the whole mail (SNS email subscriptions)."""
    if not texts:
        return None
    text = texts[0].lstrip()
    if not text.startswith("{") or "notificationType" not in text and "eventType" not in text:
        return None
    for candidate in (text, _SENDMAIL_FOLD.sub("", text)):
        try:
            value, _end = json.JSONDecoder().raw_decode(candidate)
        except ValueError:
            continue
        if isinstance(value, dict) and value.get("Type") == "Notification":
            # The JSON wrapper SNS sends for raw-message-delivery off.
            try:
                value = json.loads(value.get("Message") or "")
            except (TypeError, ValueError):
                return None
        if not isinstance(value, dict) or not isinstance(value.get("mail"), dict):
            return None
        kind = value.get("notificationType") or value.get("eventType")
        return value if kind in _SES_TYPES else None
    return None


def _emails(items: Any, key: str = "emailAddress") -> tuple[str, ...]:
    found: list[str] = []
    for item in items if isinstance(items, list) else []:
        value = item.get(key) if isinstance(item, dict) else item
        if isinstance(value, str):
            # SES writes bare addresses here, destinations may carry a name.
            pairs = _pairs([value])
            _add(found, pairs[0][1] if pairs else _address_of(value))
    return tuple(found)


def _ses_report(note: Mapping[str, Any]) -> Report:
    kind = note.get("notificationType") or note.get("eventType")
    mail = note.get("mail") or {}
    original = _ses_message_id(mail)
    if kind == "Bounce":
        bounce = note.get("bounce") or {}
        recipients = _emails(bounce.get("bouncedRecipients"))
        # Only "Permanent" means the address is gone; "Transient" is a full
        # mailbox or a too large message, "Undetermined" says nothing.
        permanent = recipients if bounce.get("bounceType") == "Permanent" else ()
        return Report(BOUNCE, recipients, permanent, original)
    if kind == "Complaint":
        complaint = note.get("complaint") or {}
        return Report(COMPLAINT, _emails(complaint.get("complainedRecipients")), (), original)
    if kind == "DeliveryDelay":
        delay = note.get("deliveryDelay") or {}
        return Report(DELAY, _emails(delay.get("delayedRecipients")), (), original)
    if kind in ("Reject", "Rendering Failure"):
        # SES refused to send at all (a virus, a broken template): nobody got it.
        return Report(BOUNCE, _emails(mail.get("destination"), key=""), (), original)
    delivery = note.get("delivery") or {}
    recipients = _emails(delivery.get("recipients"), key="") or _emails(
        mail.get("destination"), key=""
    )
    return Report(DELIVERED, recipients, (), original)


def _ses_message_id(mail: Mapping[str, Any]) -> str:
    common = mail.get("commonHeaders")
    if isinstance(common, dict) and isinstance(common.get("messageId"), str):
        return normalise_id(common["messageId"])
    for header in mail.get("headers") or []:
        if isinstance(header, dict) and str(header.get("name", "")).lower() == "message-id":
            return normalise_id(str(header.get("value", "")))
    return ""


# --- the original Message-ID --------------------------------------------------------------

_MESSAGE_ID_LINE = re.compile(
    # A folded header puts the id on the next line.
    r"^[ \t>]*message-id[ \t]*:[ \t]*(?:\n[ \t]+)?(?:<\s*([^<>\s]+?)\s*>|([^<>\s]+@[^<>\s]+))",
    re.IGNORECASE | re.MULTILINE,
)


def normalise_id(value: str) -> str:
    value = (value or "").strip()
    match = re.search(r"<\s*([^<>\s]+?)\s*>", value)
    return match.group(1) if match else value.strip("<> \t\r\n")


def _original_message_id(data: ReportInput) -> str:
    """Our Message-ID the report is about: attached headers first, then the text."""
    # Message-IDs are ASCII: a lenient decode is enough to find them.
    others = [part.decode("utf-8", "replace") for part in data.other_parts]
    for source in [*data.original_headers, *others, *data.texts]:
        found = _first_id(source, data.own_message_id)
        if found:
            return found
    # Broken MIME hides the copy from the walk; any other Message-ID line
    # in a report belongs to the message it reports on.
    raw = data.raw.decode("utf-8", "replace")
    return _first_id(_after_headers(raw), data.own_message_id)


def _first_id(text: str, own: str) -> str:
    for match in _MESSAGE_ID_LINE.finditer(text.replace("\r\n", "\n")):
        value = match.group(1) or match.group(2)
        if value and value != own:
            return value
    return ""


def _after_headers(raw: str) -> str:
    raw = raw.replace("\r\n", "\n")
    _head, sep, body = raw.partition("\n\n")
    return body if sep else ""


# --- helpers ----------------------------------------------------------------------------------


def _add(items: list[str], value: str) -> None:
    if value and value not in items:
        items.append(value)


def _header_list(value: str) -> list[str]:
    out: list[str] = []
    for part in (value or "").replace(";", ",").split(","):
        addr = part.strip().strip("<>").strip().lower()
        if "@" in addr and " " not in addr:
            out.append(addr)
    return out


def _headers_of(block: str):  # type: ignore[no-untyped-def]
    return HeaderParser().parsestr(block.replace("\r\n", "\n"), headersonly=True)


def _pairs(values: Iterable[Any]) -> list[tuple[str, str]]:
    try:
        pairs = getaddresses([str(v) for v in values])
    except Exception:  # noqa: BLE001 - a mangled copied header is no reason to fail
        return []
    return [(n, a.strip().lower()) for n, a in pairs if "@" in a]
