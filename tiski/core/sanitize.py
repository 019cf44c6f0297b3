"""Making untrusted HTML safe to store and show.

Customer email HTML is cleaned once, before it is stored, with nh3 (the
Ammonia sanitiser): scripts, event handlers, `javascript:` URLs, forms and
frames are gone, so a template can render the stored HTML as it is. Remote
images are kept but renamed to ``data-remote-src`` so the browser does not
load them (tracking pixels) until the agent allows it.
"""

from __future__ import annotations

import re

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


def _only_safe_data_urls(tag: str, attribute: str, value: str) -> str | None:
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
        attribute_filter=_only_safe_data_urls,
    )
    return _block_remote_images(cleaned)
