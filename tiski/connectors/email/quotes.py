"""Folding quoted history and signatures out of replies.

Agents read the new words of a reply; what the customer quoted back (our
own earlier answer, usually) and their signature are folded away, never
thrown away. Each function returns ``(new, folded)`` where joining the two
gives back the input, so the original is always recoverable.

The detection is line based for text and marker based for HTML, with plain
string searches and anchored, bounded patterns: no pattern may backtrack
over a whole message (a crafted or just long mail must not hang a worker).
If everything looks quoted, the whole message is the new part: a reply is
never shown empty.
"""

from __future__ import annotations

import re

from .parse import html_to_text

# --- text ------------------------------------------------------------------

_ORIGINAL_MESSAGE = re.compile(
    r"^[-_=*\s]{0,10}-{2,}\s{0,3}(original message|alkuperäinen viesti|forwarded message|"
    r"välitetty viesti|edelleenlähetetty viesti|ursprüngliche nachricht|message d'origine|"
    r"opprinnelig melding|originalmeddelelse|ursprungligt meddelande|messaggio originale|"
    r"mensagem original|mensaje original)\s{0,3}-{2,}",
    re.IGNORECASE,
)
_HEADER_START = re.compile(
    r"^[*>\s]{0,4}(from|lähettäjä|från|von|de|fra|da|van|от)\s{0,2}:\**\s", re.IGNORECASE
)
_HEADER_FOLLOW = re.compile(
    r"^[*>\s]{0,4}(sent|date|to|subject|cc|lähetetty|päivämäärä|päiväys|vastaanottaja|aihe|"
    r"kopio|gesendet|datum|an|betreff|envoyé|date|à|objet|sendt|til|emne|skickat|till|ämne|"
    r"inviato|oggetto|enviado|para|assunto|asunto|отправлено|кому|тема)\s{0,2}:",
    re.IGNORECASE,
)
# The end of an attribution line: "... wrote:", "... kirjoitti:" and friends.
_WROTE_END = re.compile(
    r"(wrote|writes|kirjoitti|skrev|schrieb|a écrit|ha scritto|escribió|escreveu|schreef|"
    r"написал|napisał)\s{0,2}:?\s{0,2}$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(
    r"^(on|am|le|el|il|op|den|på|em|\d{1,2}[./]|\w{2,3} \d{1,2}\.\d{1,2}\.|"
    r"ma |ti |ke |to |pe |la |su )",
    re.IGNORECASE,
)
_SENT_FROM = re.compile(
    r"^(sent from (my |mail for )|sent with |get outlook for |lähetetty (iphone|ipad|android|"
    r"samsung|mobiili|puhelime|outlook)|hanki outlook|von meinem |envoyé de mon |"
    r"inviato da(l mio)? |enviado desde mi |sendt fra min |skickat från min )",
    re.IGNORECASE,
)
_SIGNATURE_DELIMITER = {"--", "-- ", "—"}
_OUTLOOK_RULE = re.compile(r"^_{20,}\s*$")


def _is_wrote_line(line: str) -> bool:
    stripped = line.strip()
    # Long lines are prose that happens to end in "wrote:", not a header.
    return 0 < len(stripped) <= 300 and bool(_WROTE_END.search(stripped))


def _header_block_at(lines: list[str], i: int) -> bool:
    """A From:/Lähettäjä: line followed closely by Sent:/To:/Subject: lines."""
    if not _HEADER_START.match(lines[i]):
        return False
    follows = 0
    for line in lines[i + 1 : i + 7]:
        if _HEADER_FOLLOW.match(line):
            follows += 1
    return follows >= 1


def _quote_start_line(lines: list[str]) -> int | None:
    """The line where quoted history starts, or None."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _ORIGINAL_MESSAGE.match(stripped):
            return i
        if _OUTLOOK_RULE.match(stripped) and any(
            _HEADER_START.match(nxt) for nxt in lines[i + 1 : i + 3]
        ):
            return i
        if _header_block_at(lines, i):
            return i
        if _is_wrote_line(line) and not stripped.startswith(">"):
            # Attribution lines are often wrapped in two: "On Tue, ... <a@b>"
            # then "wrote:" alone on the next line.
            if (
                i > 0
                and lines[i - 1].strip()
                and not _ATTRIBUTION_START.match(stripped)
                and _ATTRIBUTION_START.match(lines[i - 1].strip())
            ):
                return i - 1
            if (
                _ATTRIBUTION_START.match(stripped)
                or "@" in stripped
                or any(ch.isdigit() for ch in stripped)
                or _quoted_after(lines, i)
            ):
                return i
    # A trailing block of "> " lines (allowing blank lines between).
    start = None
    for i in range(len(lines) - 1, -1, -1):
        stripped = lines[i].strip()
        if not stripped:
            continue
        if stripped.startswith(">"):
            start = i
        else:
            break
    return start


def _quoted_after(lines: list[str], i: int) -> bool:
    for line in lines[i + 1 : i + 4]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


def _signature_line(lines: list[str], end: int) -> int | None:
    """Where a signature starts among lines[:end], or None."""
    for i in range(end):
        line = lines[i]
        if line.rstrip("\r\n") in _SIGNATURE_DELIMITER and i > 0:
            return i
    for i in range(end):
        stripped = lines[i].strip()
        if stripped and len(stripped) <= 80 and _SENT_FROM.match(stripped):
            # Only a closing line counts: "Sent from my desk, ..." in the
            # middle of a message is a sentence.
            if all(not rest.strip() for rest in lines[i + 1 : end]):
                return i
    return None


def split_reply_text(text: str) -> tuple[str, str]:
    """Split a plain-text reply into (new part, folded quote and signature)."""
    if not text:
        return "", ""
    lines = text.splitlines(keepends=True)
    quote = _quote_start_line(lines)
    end = quote if quote is not None else len(lines)
    signature = _signature_line(lines, end)
    cut = signature if signature is not None else quote
    if cut is None:
        return text, ""
    offset = sum(len(line) for line in lines[:cut])
    new = text[:offset]
    if not new.strip():
        # Everything looks quoted (a forward, a quote-only reply): show it all.
        return text, ""
    return new, text[offset:]


# --- HTML ------------------------------------------------------------------

# Markers that open the quoted part; the cut is made at the tag holding them.
_HTML_MARKERS = (
    re.compile(r"<div[^>]{0,200}?\bclass=[\"']?gmail_quote", re.IGNORECASE),
    re.compile(r"<blockquote[^>]{0,200}?\bclass=[\"']?gmail_quote", re.IGNORECASE),
    re.compile(r"<div[^>]{0,200}?\bclass=[\"']?moz-cite-prefix", re.IGNORECASE),
    re.compile(r"<(div|pre)[^>]{0,200}?\bclass=[\"']?moz-signature", re.IGNORECASE),
    re.compile(r"<div[^>]{0,200}?\bclass=[\"']?gmail_signature", re.IGNORECASE),
    re.compile(r"<div[^>]{0,200}?\bid=[\"']?appendonsend", re.IGNORECASE),
    re.compile(r"<div[^>]{0,200}?\bid=[\"']?divRplyFwdMsg", re.IGNORECASE),
    re.compile(r"<div[^>]{0,200}?\bid=[\"']?OLK_SRC_BODY_SECTION", re.IGNORECASE),
    re.compile(r"<div[^>]{0,200}?\bclass=[\"']?(OutlookMessageHeader|yahoo_quoted)", re.IGNORECASE),
    re.compile(
        r"<div[^>]{0,20}\bstyle=[\"'][^\"'>]{0,80}border-top:\s{0,3}solid\s{0,3}#"
        r"(E1E1E1|B5C4DF)",
        re.IGNORECASE,
    ),
    re.compile(r"<blockquote[^>]{0,200}?\btype=[\"']?cite", re.IGNORECASE),
    # Older Outlook and webmail: a block starting with a bold "From:" header.
    re.compile(
        r"<(div|p)\b[^>]{0,300}>\s{0,5}(<[^<>]{1,200}>\s{0,5}){0,4}"
        r"(from|lähettäjä|от|von|de)\s{0,2}:",
        re.IGNORECASE,
    ),
)
_HR_THEN_HEADER = re.compile(r"<hr\b[^>]{0,300}>", re.IGNORECASE)
_TEXT_MARKERS = re.compile(
    r"-{2,}\s{0,3}(original message|alkuperäinen viesti|forwarded message|välitetty viesti)"
    r"\s{0,3}-{2,}",
    re.IGNORECASE,
)
_TAG_OPEN = re.compile(r"<(div|p|span|font|b|table|pre)\b", re.IGNORECASE)
_ATTRIBUTION_TAIL = re.compile(r"(wrote|kirjoitti|skrev|schrieb|a écrit)\s{0,3}:", re.IGNORECASE)


def _enclosing_tag_start(html: str, pos: int, window: int = 200) -> int:
    """Start of the last block tag opened shortly before pos, or pos itself."""
    start = max(0, pos - window)
    found = None
    for match in _TAG_OPEN.finditer(html, start, pos):
        found = match.start()
    return found if found is not None else pos


def _html_cut(html: str) -> int | None:
    cuts: list[int] = []
    for pattern in _HTML_MARKERS:
        match = pattern.search(html)
        if match:
            cut = match.start()
            if "blockquote" in match.group(0).lower() and "cite" in match.group(0).lower():
                # Apple Mail puts "On ..., X wrote:" in a div just before.
                head = html[max(0, cut - 400) : cut]
                tail = _ATTRIBUTION_TAIL.search(head)
                if tail:
                    cut = _enclosing_tag_start(html, cut - len(head) + tail.start(), 300)
            if "divrplyfwdmsg" in match.group(0).lower():
                hr = html.rfind("<hr", max(0, cut - 300), cut)
                if hr >= 0:
                    cut = hr
            cuts.append(cut)
    text_match = _TEXT_MARKERS.search(html)
    if text_match:
        cuts.append(_enclosing_tag_start(html, text_match.start()))
    for hr in _HR_THEN_HEADER.finditer(html):
        after = html_to_text(html[hr.end() : hr.end() + 600])
        lines = after.splitlines()
        if lines and any(_HEADER_START.match(line) for line in lines[:2]):
            cuts.append(hr.start())
            break
    return min(cuts) if cuts else None


def split_reply_html(html: str) -> tuple[str, str]:
    """Split an HTML reply into (new part, folded quote and signature).

    Works on the markup as the client sent it (before sanitising strips the
    ids and styles the markers live in); sanitise both parts afterwards.
    """
    if not html:
        return "", ""
    cut = _html_cut(html)
    if cut is None:
        return html, ""
    new = html[:cut]
    if not html_to_text(new).strip():
        return html, ""
    return new, html[cut:]
