"""Making untrusted HTML safe to store and show.

Customer email HTML is cleaned once, before it is stored, with nh3 (the
Ammonia sanitiser): scripts, event handlers, `javascript:` URLs, forms and
frames are gone, so a template can render the stored HTML as it is. Remote
images are kept but renamed to ``data-remote-src`` so the browser does not
load them (tracking pixels) until the agent allows it.

A sender's ``class`` and ``id`` are dropped: kept, they could borrow the
desk's own classes and dress a message up as part of the interface (a fake
"internal note" box). The one class kept is the quoted-text marker intake
wraps around a reply's history, which the message frame folds.

`plain_preview` makes the short plain text lists and the customer timeline
show, once, when a message is written: no template ever runs an HTML parser
(Django's ``striptags`` raises on some customer text) over what a customer sent.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from dataclasses import dataclass

import nh3

_ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "center",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "tt",
    "u",
    "ul",
}
_COMMON_ATTRIBUTES = {"align", "title", "dir", "lang", "class"}
# The only class a stored message may carry (see intake's FOLDED_CLASS).
FOLDED_CLASS = "tiski-folded"
_ALLOWED_ATTRIBUTES = {
    "*": _COMMON_ATTRIBUTES,
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height", "data-remote-src", "data-cid"},
    "td": {"colspan", "rowspan", "valign", "width"},
    "th": {"colspan", "rowspan", "valign", "width", "scope"},
    "table": {"width", "border", "cellpadding", "cellspacing"},
    "font": {"color", "face", "size"},
    "col": {"span", "width"},
    "ol": {"start", "type"},
}
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid", "data"}
_REMOTE_SRC = re.compile(r"(<img\b[^>]*?)\ssrc=(\"|')(https?:[^\"']*)\2", re.IGNORECASE)


def _block_remote_images(html: str) -> str:
    return _REMOTE_SRC.sub(
        lambda m: f"{m.group(1)} data-remote-src={m.group(2)}{m.group(3)}{m.group(2)}", html
    )


_IMAGE_SOURCES = ("data:image/", "cid:", "http://", "https://")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        return FOLDED_CLASS if tag == "div" and FOLDED_CLASS in value.split() else None
    if tag == "img" and attribute == "src" and not value.strip().lower().startswith(_IMAGE_SOURCES):
        # A relative source would load a desk URL with the agent's session.
        return None
    # data: is allowed for inline images only; anywhere else it could carry
    # an HTML document or script.
    if value.strip().lower().startswith("data:"):
        if tag == "img" and attribute == "src" and value.lower().startswith("data:image/"):
            return value
        return None
    return value


def sanitize_html(html: str) -> str:
    """Clean HTML from outside; the result is safe to render unescaped."""
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=_filter_attribute,
    )
    return _block_remote_images(cleaned)


PREVIEW_LENGTH = 300
# Control characters (NUL included) and the bidirectional overrides and
# isolates that would turn the rest of a list row around.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


def plain_preview(text: str, html: str = "", *, fold_text_at: int | None = None) -> str:
    """The first words of a message as one line of plain text.

    Made from the plain text when there is one, else from the (already
    sanitised) HTML with nh3 removing every tag; the quoted history intake
    marked for folding is left out. Safe for any input: this never raises.
    """
    if text.strip():
        if isinstance(fold_text_at, int) and 0 < fold_text_at < len(text):
            text = text[:fold_text_at]
        plain = text
    else:
        cut = html.find(f'<div class="{FOLDED_CLASS}">')
        if cut > 0:
            html = html[:cut]
        # Only the first stretch: a preview needs no more, and nh3 stays quick.
        plain = html_lib.unescape(nh3.clean(html[: PREVIEW_LENGTH * 20], tags=set()))
    plain = unicodedata.normalize("NFC", _INVISIBLE.sub("", plain))
    return _SPACES.sub(" ", plain).strip()[:PREVIEW_LENGTH]


def storable(value: str) -> str:
    # PostgreSQL refuses NUL in text columns; a customer's stray NUL byte
    # must not make their message impossible to store.
    return value.replace("\x00", "")


@dataclass(frozen=True)
class StoredBody:
    """A message's text, HTML and preview exactly as its row stores them."""

    text: str
    html: str
    preview: str


def stored_body(text: str, html: str, *, fold_text_at: int | None = None) -> StoredBody:
    """What a message row keeps of the text and HTML it is given: the one
    rule for every writer (pure, so the importer's parse workers can apply
    it ahead of the database work)."""
    text = storable(text)
    clean_html = sanitize_html(storable(html)) if html else ""
    return StoredBody(text, clean_html, plain_preview(text, clean_html, fold_text_at=fold_text_at))


# Help-centre articles are written by agents, not by strangers, but are
# shown to the public: the same cleaner, plus the editor's callout boxes,
# and images from Tiski's own upload path (a relative src) loaded as they
# are, since no tracking pixel hides in an agent's own upload.
ARTICLE_CLASSES = frozenset({"callout", "callout-info", "callout-warning", "callout-tip"})
ARTICLE_IMAGE_PREFIX = "/help/images/"


def _filter_article_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [c for c in value.split() if c in ARTICLE_CLASSES]
        return " ".join(kept) if tag == "div" and kept else None
    if tag == "img" and attribute == "src":
        src = value.strip()
        return src if src.startswith(ARTICLE_IMAGE_PREFIX) or src.startswith("https://") else None
    if value.strip().lower().startswith("data:"):
        return None
    return value


def sanitize_article_html(html: str) -> str:
    """Clean an article's body: safe to render unescaped on a public page."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS - {"font", "center"},
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES - {"cid", "data"},
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_filter_article_attribute,
    )
