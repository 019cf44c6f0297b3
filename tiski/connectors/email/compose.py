"""Pieces of an outgoing email that need no database: ids, subjects, bodies.

Kept pure so the rules (one ``[#1234]``, bounded References, a placeholder
renderer that cannot run code) are tested without the ORM.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import formataddr

from django.utils.html import escape, linebreaks

from tiski.core import placeholders

# A References header grows with every reply; servers reject very long
# headers and clients only need the root and the recent end of the thread.
REFERENCES_KEEP_FIRST = 1
REFERENCES_KEEP_LAST = 10

_REPLY_PREFIX = re.compile(r"^\s*(?:re|vs|sv|aw|antw|vast)\s*(?:\[\d{1,4}\])?\s*[:：]\s*", re.I)
_TICKET_REFERENCE = re.compile(r"\[#\d{1,12}\]")


def make_message_id(domain: str) -> str:
    """A new Message-ID in our domain, without angle brackets (as stored)."""
    return f"tiski.{uuid.uuid4().hex}@{domain or 'localhost'}"


def address_domain(address: str) -> str:
    return (address or "").rpartition("@")[2].strip().lower()


def plus_address(address: str, token: str) -> str:
    """``tuki@x`` + token -> ``tuki+token@x`` (an existing +tag is replaced)."""
    local, _at, domain = address.rpartition("@")
    return f"{local.partition('+')[0]}+{token}@{domain}"


def ticket_subject(subject: str, number: int) -> str:
    """The subject with ``[#number]`` exactly once, at the end.

    Repeated reply prefixes ("Re: VS: Re:") collapse to one "Re: ";
    forward prefixes are kept, since a forwarded mail's subject says so.
    """
    subject = " ".join((subject or "").split())
    reference = f"[#{number}]"
    subject = " ".join(subject.replace(reference, " ").split())
    replied = False
    for _ in range(20):  # bounded: a subject of a hundred "Re:"s is still finite work
        stripped = _REPLY_PREFIX.sub("", subject, count=1)
        if stripped == subject:
            break
        replied, subject = True, stripped
        subject = " ".join(subject.replace(reference, " ").split())
    subject = f"Re: {subject}" if replied and subject else subject
    return f"{subject} {reference}".strip()


def bounded_references(
    ids: Iterable[str],
    *,
    keep_first: int = REFERENCES_KEEP_FIRST,
    keep_last: int = REFERENCES_KEEP_LAST,
) -> list[str]:
    """Message-IDs for References: unique, in order, the first few and the last few."""
    unique: list[str] = []
    seen: set[str] = set()
    for item in ids:
        if item and item not in seen:
            seen.add(item)
            unique.append(item)
    if len(unique) <= keep_first + keep_last:
        return unique
    return unique[:keep_first] + unique[-keep_last:]


def format_references(ids: Iterable[str]) -> str:
    return " ".join(f"<{item}>" for item in ids)


def sender_name(mailbox_name: str, agent_name: str = "") -> str:
    """ "Minna Virtanen / Yritys Oy" for a person's reply, the mailbox name otherwise."""
    mailbox_name, agent_name = mailbox_name.strip(), agent_name.strip()
    if agent_name and mailbox_name:
        return f"{agent_name} / {mailbox_name}"
    return agent_name or mailbox_name


def formatted_address(name: str, address: str) -> str:
    return formataddr((name, address)) if name else address


def text_to_html(text: str) -> str:
    """Escaped paragraphs for the HTML part of a plain-text message."""
    return linebreaks(escape(text))


def with_signatures(text: str, html: str, signatures: Iterable[str]) -> tuple[str, str]:
    """Append plain-text signatures to both parts (the "-- " line lets clients fold them)."""
    parts = [s.strip("\n") for s in signatures if s and s.strip()]
    if not parts:
        return text, html
    signature = "\n\n".join(parts)
    text = f"{text.rstrip()}\n\n-- \n{signature}\n"
    html = f'{html}\n<div class="signature">{text_to_html(signature)}</div>'
    return text, html


def render_placeholders(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{{ name }}`` placeholders of an acknowledgement from ``values``.

    The shared sandboxed renderer, with the names in ``values`` as the only
    ones allowed; unknown placeholders stay as written so a typo shows.
    """
    return placeholders.render(
        template,
        {k: str(v) for k, v in values.items()},
        allowed=values.keys(),
        keep_unknown=True,
    )


# --- Outlook's Thread-Index ---------------------------------------------------------------

# FILETIME counts 100 ns ticks since 1601-01-01 UTC.
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_THREAD_INDEX_ROOT_BYTES = 22


def _filetime(at: datetime) -> int:
    delta = at.astimezone(UTC) - _FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def new_thread_index_root(at: datetime, seed: bytes) -> str:
    """A conversation root (hex) of our own, for mail that continues none.

    The layout is Outlook's: 0x01, the upper 40 bits of the FILETIME, a
    16-byte id. The id comes from ``seed`` (a secret-keyed value per ticket)
    rather than at random, so every mail about one ticket shares the root
    without it being stored anywhere.
    """
    stamp = (_filetime(at) >> 24).to_bytes(5, "big")
    return (b"\x01" + stamp + hashlib.sha256(seed).digest()[:16]).hex()


def thread_index_reply(root: str, at: datetime, seed: bytes) -> str:
    """The Thread-Index header of a reply in the conversation ``root`` (hex).

    Root plus one 5-byte response level, as Outlook adds to a message it
    answers: a 1-bit delta code and 31 bits of the time since the root,
    then 4 random and 4 sequence bits. "Random" comes from ``seed`` so a
    retried send repeats the same header. Returns "" for a malformed root.
    """
    try:
        header = bytes.fromhex(root)
    except ValueError:
        return ""
    if len(header) != _THREAD_INDEX_ROOT_BYTES:
        return ""
    started = int.from_bytes(header[1:6], "big") << 24
    delta = max(0, _filetime(at) - started)
    # Short gaps keep finer time (bits 18-48), long ones coarser (bits 23-53).
    if delta < 1 << 49:
        level = (delta >> 18) & 0x7FFF_FFFF
    else:
        level = (1 << 31) | ((delta >> 23) & 0x7FFF_FFFF)
    noise = hashlib.sha256(seed).digest()[0] & 0xF0
    child = level.to_bytes(4, "big") + bytes([noise])
    return base64.b64encode(header + child).decode("ascii")


def thread_topic(subject: str) -> str:
    """Thread-Topic: the subject without reply prefixes and ticket references."""
    topic = " ".join(_TICKET_REFERENCE.sub(" ", subject or "").split())
    for _ in range(20):
        stripped = _REPLY_PREFIX.sub("", topic, count=1)
        if stripped == topic:
            break
        topic = stripped
    return " ".join(_TICKET_REFERENCE.sub(" ", topic).split())
