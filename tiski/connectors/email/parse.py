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
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache
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

# Labels mail clients read as a larger charset than the name says, as in the
# WHATWG Encoding Standard that Thunderbird and every browser follow: senders
# label GBK text "gb2312", Windows' Korean code page "ks_c_5601-1987", and
# Outlook's Japanese vendor characters (circled numbers, Roman numerals) go
# out under "iso-2022-jp" and "shift_jis". Reading with the superset costs
# nothing when the text fits the smaller set, and loses nothing when not.
CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "chinese": "gb18030",
    "iso-ir-58": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "windows-936": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "korean": "cp949",
    "csksc56011987": "cp949",
    "euc-kr": "cp949",
    "windows-949": "cp949",
    "big5": "big5hkscs",
    "big-5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "csbig5": "big5hkscs",
    "cp950": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "csiso2022jp": "iso2022_jp_ext",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso8859-8",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
}
# Labels that name no charset at all: the bytes are guessed, as if unlabelled.
_NO_CHARSET = {"x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default", "charset"}
# Multibyte codecs: when their bytes do not decode, the text is still in that
# script, so it is read with replacement characters, never as Western Latin.
_MULTIBYTE = {
    "gb18030",
    "cp949",
    "big5hkscs",
    "cp932",
    "iso2022_jp_ext",
    "iso2022_jp",
    "iso2022_jp_2",
    "iso2022_kr",
    "euc_jp",
    "euc_jis_2004",
    "hz",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
}


@lru_cache(maxsize=256)
def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _NO_CHARSET:
        return None
    name = CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


_ISO2022JP_ESCAPE = re.compile(rb"(\x1b(?:\$[@B]|\$\(D|\([BJI]))")


def _jis_to_sjis(first: int, second: int) -> bytes:
    lead = (first + 1) // 2 + (0x70 if first <= 0x5E else 0xB0)
    if first % 2:
        trail = second + 0x1F + (1 if second >= 0x60 else 0)
    else:
        trail = second + 0x7E
    return bytes((lead, trail))


def _decode_iso2022jp_windows(data: bytes) -> str:
    """ISO-2022-JP as Outlook writes it (CP50220): JIS X 0208 rows extended
    with NEC and IBM characters, read through their Shift_JIS (cp932) codes."""
    out: list[str] = []
    mode = b"\x1b(B"
    for chunk in _ISO2022JP_ESCAPE.split(data):
        if chunk.startswith(b"\x1b") and _ISO2022JP_ESCAPE.fullmatch(chunk):
            mode = chunk
            continue
        if not chunk:
            continue
        if mode in (b"\x1b$@", b"\x1b$B"):
            sjis = bytearray()
            i = 0
            while i < len(chunk):
                byte = chunk[i]
                if 0x21 <= byte <= 0x7E and i + 1 < len(chunk) and 0x21 <= chunk[i + 1] <= 0x7E:
                    sjis += _jis_to_sjis(byte, chunk[i + 1])
                    i += 2
                else:
                    sjis.append(byte)
                    i += 1
            out.append(bytes(sjis).decode("cp932", "replace"))
        elif mode == b"\x1b(I":
            out.append(
                bytes(b + 0x80 if 0x21 <= b <= 0x5F else b for b in chunk).decode(
                    "cp932", "replace"
                )
            )
        elif mode == b"\x1b$(D":
            out.append((mode + chunk + b"\x1b(B").decode("iso2022_jp_ext", "replace"))
        else:
            out.append(chunk.decode("ascii", "replace"))
    return "".join(out)


def _mostly_utf8(data: bytes) -> bool:
    # Real UTF-8 with one broken sequence, not Latin-1 under a UTF-8 label.
    return len(_UTF8_SEQUENCE.findall(data)) >= 2


_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text from bytes in a declared, wrong or unknown charset; never a crash.

    A declared charset is tried strictly first, through CHARSET_ALIASES.
    ISO-8859-1 labels are read as Windows-1252 (a superset, and what Outlook
    really sends). A multibyte charset that does not decode is kept, with
    replacement characters: its text is Chinese, Japanese or Korean, and no
    single-byte guess would read it. When the label is missing or wrong,
    charset-normalizer guesses; as the last resort the bytes are decoded
    with replacement characters rather than dropped.
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
    elif codec in _MULTIBYTE:
        # UTF-8 under an old 8-bit Asian label (a client that changed
        # defaults); 7-bit ISO-2022 bytes would always "decode" as UTF-8.
        candidates = [codec] if codec.startswith(("iso2022", "hz", "utf-")) else [codec, "utf-8"]
    elif codec:
        candidates = [codec]
    else:
        candidates = ["utf-8"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    if codec.startswith("iso2022_jp") if codec else False:
        if max(data) < 0x80:
            return _decode_iso2022jp_windows(data)
        # 8-bit bytes under a 7-bit label: Japanese in one of its 8-bit
        # encodings (EUC-JP fails on Shift_JIS's lead bytes, so it goes first).
        for candidate in ("utf-8", "euc_jp", "cp932"):
            try:
                return data.decode(candidate)
            except UnicodeDecodeError:
                continue
    if codec in _MULTIBYTE or (codec == "utf-8" and _mostly_utf8(data)):
        return data.decode(codec, errors="replace")
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


_SURROGATE = re.compile("[\udc80-\udcff]")


def _undo_surrogates(value: str, hint: str | None = None) -> str:
    # The email package smuggles undecodable bytes as lone surrogates: raw
    # 8-bit header text, read as UTF-8 when it is, else in the charset the
    # message declares for its body (what mail clients assume too).
    if not _SURROGATE.search(value):
        return value
    return decode_raw_header_bytes(value.encode("utf-8", "surrogateescape"), hint)


def decode_raw_header_bytes(data: bytes, hint: str | None = None) -> str:
    """Unlabelled 8-bit header bytes: UTF-8, else the message's charset, else guessed."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _codec(hint) not in (None, "ascii", "utf-8"):
        return decode_bytes(data, hint)
    return decode_bytes(data)


def decode_header_value(raw: str | None, hint: str | None = None) -> str:
    """An unstructured header (Subject) with RFC 2047 words decoded, leniently.

    Adjacent encoded words in one charset are joined before decoding: many
    clients split a multibyte character across two words. ``hint`` is the
    charset for raw 8-bit bytes (the message's own).
    """
    if raw is None:
        return ""
    raw = str(raw)
    if "=?" not in raw:
        return " ".join(_undo_surrogates(raw, hint).split())
    # Pieces: plain text, or [charset, bytes] of a run of encoded words.
    pieces: list[str | list] = []
    pos = 0
    for match in _ENCODED_WORD.finditer(raw):
        between = raw[pos : match.start()]
        pos = match.end()
        previous_word = bool(pieces) and isinstance(pieces[-1], list)
        if between and not (previous_word and not between.strip()):
            pieces.append(_undo_surrogates(between, hint))
            previous_word = False
        data = _word_bytes(match)
        if data is None:
            pieces.append(match.group(0))
            continue
        charset = match.group(1).split("*", 1)[0].lower()
        if previous_word and pieces[-1][0] == charset:  # type: ignore[index]
            pieces[-1][1] += data  # type: ignore[index]
        else:
            pieces.append([charset, data])
    if pos < len(raw):
        pieces.append(_undo_surrogates(raw[pos:], hint))
    text = "".join(
        piece if isinstance(piece, str) else decode_bytes(piece[1], piece[0]) for piece in pieces
    )
    return " ".join(text.split())


def _word_bytes(match: re.Match[str]) -> bytes | None:
    encoding, payload = match.group(2).lower(), match.group(3)
    try:
        if encoding == "b":
            payload = re.sub(r"[^A-Za-z0-9+/]", "", payload)
            if len(payload) % 4 == 1:  # a stray character: drop it, keep the rest
                payload = payload[:-1]
            return base64.b64decode(payload + "=" * (-len(payload) % 4))
        return quopri.decodestring(
            payload.replace("_", " ").encode("latin-1", "replace"), header=True
        )
    except (ValueError, binascii.Error):
        return None


# --- the header block --------------------------------------------------------

# What Python's parser takes for a header line (email.feedparser.headerRE).
_HEADER_LINE = re.compile(rb"From |[\x21-\x39\x3b-\x7e]*:|[\t ]")
# A line that starts a header this module reads: proof that the header block
# goes on past a line Python's parser would stop at.
_KNOWN_HEADER = re.compile(
    rb"(?i)(from|to|cc|subject|date|message-id|in-reply-to|references|reply-to|sender"
    rb"|mime-version|content-type|content-transfer-encoding|received|return-path"
    rb"|x-[\x21-\x39\x3b-\x7e]+)[ \t]*:"
)
# The start of a line that is neither (Python's parser ends the headers there).
_BAD_LINE = re.compile(rb"(?:^|\n|\r(?!\n))(?![\t ]|From |[\x21-\x39\x3b-\x7e]*:)")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n|\r\r")
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n|$)")
# Past this many lines before the first known header it is a body, not a
# stray preface; past this many bad lines in a row, not a broken fold.
_MAX_PREFACE_LINES = 3
_MAX_BROKEN_RUN = 20


def repair_header_block(raw: bytes) -> bytes:
    """The raw mail with a header block Python's parser reads whole.

    Two faults that mail programs forgive: a stray line before the headers
    (a forwarding tool's "---- Original message ----"), and a folded header
    whose continuation lines lost their leading whitespace. Python's parser
    ends the headers at either, so the sender lands in the body. Lines are
    only changed when known headers follow them in the same block.
    """
    blank = _BLANK_LINE.search(raw, 0, 256 * 1024)
    end = blank.start() if blank else min(len(raw), 256 * 1024)
    block = raw[:end]
    if not _BAD_LINE.search(block):
        return raw  # the common case: every line is a header or a fold
    lines = [line for line in _LINE.findall(block) if line]
    known = [i for i, line in enumerate(lines) if _KNOWN_HEADER.match(line)]
    if not known:
        return raw
    named = [
        i for i, line in enumerate(lines) if _HEADER_LINE.match(line) and line[:1] not in b" \t"
    ]
    start = named[0] if named else 0
    if start > _MAX_PREFACE_LINES:
        start = 0
    last_known = known[-1]
    fixed: list[bytes] = []
    run = 0
    for index in range(start, len(lines)):
        line = lines[index]
        if _HEADER_LINE.match(line):
            run = 0
            fixed.append(line)
        elif index < last_known and run < _MAX_BROKEN_RUN:
            # A continuation that lost its indent: fold it back.
            run += 1
            fixed.append(b" " + line)
        else:
            # Past the last known header: the body starts here, as Python reads it.
            return b"".join(fixed) + b"".join(lines[index:]) + raw[end:]
    return b"".join(fixed) + raw[end:]


# --- headers ----------------------------------------------------------------


def _raw_header(msg: Message, name: str) -> str:
    for key, value in msg.raw_items():
        if key.lower() == name:
            return str(value)
    return ""


def _header(msg: Message, name: str) -> str:
    """The first ``name`` header, unfolded, encoded words decoded."""
    return decode_header_value(_raw_header(msg, name))


def _addresses(msg: Message, name: str, hint: str | None = None) -> tuple[EmailAddress, ...]:
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
        result.append(EmailAddress(decode_header_value(display, hint).strip("\"' "), addr))
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


_PARAM = re.compile(r"""\s*;?\s*([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)""", re.DOTALL)
_RFC2231_SECTION = re.compile(r"^(.*?)\*(\d+)?(\*)?$")


def _raw_params(part: Message, header: str) -> dict[str, str | tuple[str, bytes]]:
    """The parameters of a raw header, with raw 8-bit bytes still recoverable.

    The email package turns such bytes into U+FFFD once it builds a Header
    object, so the raw value is read here. A value is a str, or for RFC 2231
    (``name*=charset''%XX``, also split in sections) a (charset, bytes) pair.
    """
    raw = _raw_header(part, header)
    _type, sep, rest = raw.partition(";")
    if not sep:
        return {}
    plain: dict[str, str] = {}
    sections: dict[str, list[tuple[int, bool, str]]] = {}
    for match in _PARAM.finditer(rest):
        key, value = match.group(1).lower(), match.group(2).strip()
        if value.startswith('"'):
            value = re.sub(
                r"\\(.)",
                r"\1",
                value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:],
            )
        split = _RFC2231_SECTION.match(key)
        if split and (split.group(2) is not None or split.group(3)):
            number = int(split.group(2) or 0)
            sections.setdefault(split.group(1), []).append((number, bool(split.group(3)), value))
        else:
            plain.setdefault(key, value)
    result: dict[str, str | tuple[str, bytes]] = dict(plain)
    for key, parts in sections.items():
        parts.sort(key=lambda item: item[0])
        charset = ""
        data = b""
        for index, (_number, encoded, value) in enumerate(parts):
            if encoded:
                if index == 0 and value.count("'") >= 2:
                    charset, _lang, value = value.split("'", 2)
                data += urllib.parse.unquote_to_bytes(value.encode("utf-8", "surrogateescape"))
            else:
                data += value.encode("utf-8", "surrogateescape")
        result[key] = (charset, data)
    return result


def _given_filename(part: Message, hint: str | None) -> str:
    """The file name the sender gave, decoded like a header, or ""."""
    params = _raw_params(part, "content-disposition")
    value = params.get("filename")
    if not value:
        value = _raw_params(part, "content-type").get("name")
    if not value:
        return ""
    if isinstance(value, tuple):
        charset, data = value
        name = decode_bytes(data, charset) if charset else decode_raw_header_bytes(data, hint)
        if "=?" in name:
            name = decode_header_value(name, hint)
    else:
        name = decode_header_value(value, hint)
    # Keep only the last path element and no control characters.
    name = re.split(r"[\\/]", name)[-1]
    return "".join(ch for ch in name if ch.isprintable()).strip()[:255]


def _default_filename(part: Message, content_type: str, content_id: str, hint: str | None) -> str:
    """A name a person recognises for a part its sender left unnamed."""
    local = content_id.partition("@")[0]
    if local and "." in local and mimetypes.guess_type(local)[0]:
        return local[:255]  # Outlook's image001.jpg@01DA...
    if content_type == "application/ms-tnef":
        return "winmail.dat"
    if content_type == "text/calendar":
        return "invite.ics"
    if content_type in ("message/rfc822", "message/global", "message/news"):
        subject = _attached_subject(part, hint)
        return f"{subject[:200]}.eml" if subject else "message.eml"
    if content_type.endswith("rfc822-headers"):
        return "original-headers.txt"
    ext = mimetypes.guess_extension(content_type) or ".bin"
    major = content_type.partition("/")[0]
    return f"{major if major in ('image', 'audio', 'video') else 'attachment'}{ext}"


def _attached_subject(part: Message, hint: str | None) -> str:
    payload = _safe(part.get_payload)
    if not isinstance(payload, list) or not payload:
        return ""
    subject = decode_header_value(_raw_header(payload[0], "subject"), hint)
    subject = re.sub(r"[\\/]", "-", subject)
    return "".join(ch for ch in subject if ch.isprintable()).strip(" .")


@dataclass
class _Collected:
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    report_parts: list[Message] = field(default_factory=list)
    feedback_parts: list[Message] = field(default_factory=list)
    original_headers: list[str] = field(default_factory=list)
    # The charset raw 8-bit header bytes (file names) are read in.
    hint: str | None = None


def _content_type(part: Message) -> str:
    value = _safe(part.get_content_type, "text/plain") or "text/plain"
    return value.lower()


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return (
        [child for child in payload if isinstance(child, Message)]
        if isinstance(payload, list)
        else []
    )


def _related_root(part: Message, children: list[Message]) -> Message | None:
    # RFC 2387: the "start" parameter names the root by Content-ID, else the first part.
    start = normalise_message_id(str(_safe(lambda: part.get_param("start")) or ""))
    if start:
        for child in children:
            if normalise_message_id(_raw_header(child, "content-id")) == start:
                return child
    return children[0] if children else None


# An attached mail (message/global is one in UTF-8, message/news a Usenet
# article) or its headers:
# a file of its own, and the headers a bounce report quotes.
_ATTACHED_MAIL = {
    "message/rfc822",
    "message/global",
    "message/news",
    "text/rfc822-headers",
    "message/rfc822-headers",
    "message/global-headers",
}


def _collect(part: Message, out: _Collected, depth: int = 0, as_body: bool = True) -> None:
    """Sort a part into body text, body HTML, attachments and report parts.

    ``as_body``: whether a text part here may be the message's words. In
    multipart/related only the root may; in multipart/mixed the first part
    is the body, and a later inline part continues it (Apple Mail writes
    text, image, text), but an HTML part after a plain-text body is a
    document of its own, kept as an attachment.
    """
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
    if ctype in _ATTACHED_MAIL:
        out.original_headers.append(decode_bytes(_raw_part_bytes(part)))
    elif part.is_multipart():
        children = _children(part)
        subtype = ctype.partition("/")[2]
        if subtype == "alternative":
            for child in children:
                _collect(child, out, depth + 1, as_body)
        elif subtype == "related":
            root = _related_root(part, children)
            for child in children:
                _collect(child, out, depth + 1, as_body and child is root)
        else:
            for index, child in enumerate(children):
                child_body = as_body
                if index and as_body and _content_type(child) == "text/html":
                    html_body = _content_type(children[0]) == "text/html"
                    said = any(t.strip() for t in (*out.texts, *out.htmls))
                    child_body = html_body or not said
                _collect(child, out, depth + 1, child_body)
        return
    elif ctype.startswith("multipart/"):
        # A multipart whose boundary never appears (old MTAs, truncated
        # mail): the email package leaves it one string. Its words are still
        # the message, so show them instead of one opaque attachment.
        out.texts.append(_part_text(part))
        return
    disposition = (_safe(part.get_content_disposition) or "").lower()
    filename = _given_filename(part, out.hint)
    is_body = (
        as_body
        and ctype in ("text/plain", "text/html")
        and disposition != "attachment"
        and not filename
    )
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
            filename=filename or _default_filename(part, ctype, content_id, out.hint),
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
    recipients: list[str],
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
            to=recipients,
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


_CHARSET_PARAM = re.compile(rb"""(?i)charset\s*=\s*["']?([a-z0-9_.:+-]{2,40})""")


def _message_charset(raw: bytes) -> str | None:
    """The first charset the message's parts declare, other than ASCII: raw
    8-bit header bytes (names, file names) are in it when they are not UTF-8.

    Read from the bytes, since walking the parsed parts costs more than the
    rest of the parse for most mail, and this is only a hint.
    """
    if raw.isascii():
        return None  # no 8-bit bytes, nothing to decode with it
    for match in _CHARSET_PARAM.finditer(raw, 0, 1_000_000):
        charset = match.group(1).decode("ascii")
        if _codec(charset) not in (None, "ascii"):
            return charset
    return None


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
    raw = repair_header_block(raw)
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

    hint = _message_charset(raw)
    headers = {name: _header(msg, name) for name in LOOP_HEADERS if name in keys}
    # No usable From (none, or "<>"): whoever the mail names to answer or
    # as its sender is still the person writing, as other desks read it.
    senders = (
        _addresses(msg, "from", hint)
        or _addresses(msg, "reply-to", hint)
        or _addresses(msg, "sender", hint)
    )
    sender = senders[0] if senders else EmailAddress("", "")
    message_id = normalise_message_id(_header(msg, "message-id"))
    in_reply_to = parse_id_list(_header(msg, "in-reply-to"))
    references = parse_id_list(_header(msg, "references"))

    collected = _Collected(hint=hint)
    try:
        _collect(msg, collected)
    except Exception:  # noqa: BLE001 - keep what was read before the break
        # A structure the modern policy cannot walk; the old one is lenient.
        collected = _Collected(hint=hint)
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

    subject = decode_header_value(_raw_header(msg, "subject"), hint)
    # Read once: the charset hint changes display names only, never addresses.
    to = _addresses(msg, "to", hint)
    cc = _addresses(msg, "cc", hint)
    report = _read_report(
        msg,
        collected,
        raw=raw,
        headers=headers,
        sender=sender,
        recipients=[a.address for a in (*to, *cc)],
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
        to=to,
        cc=cc,
        reply_to=_addresses(msg, "reply-to", hint),
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
