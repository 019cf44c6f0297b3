"""What intake makes of a parsed mail before any database work, in one place.

Folding the quoted history (text and HTML), sanitising what is kept, the
preview line and a guess of the writer's language depend on the mail
alone. `prepare` does all of it, so the importer's parse workers can do it
in their processes while the importer writes the batch before (both cores
work), and live mail does the same in the intake: one function, the same
result either way.

Like `parse`, this module imports nothing from Django: a parse worker
loads it without settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tiski.core.sanitize import StoredBody, sanitize_html, stored_body

from .parse import ParsedEmail
from .quotes import split_reply_html, split_reply_text

# The class around a reply's quoted history in a stored message's HTML.
FOLDED_CLASS = "tiski-folded"

_FI_WORDS = re.compile(
    r"\b(hei|kiitos|terveisin|ystävällisin|moi|tilaus|että|ja|on|ei)\b", re.IGNORECASE
)
_EN_WORDS = re.compile(
    r"\b(hello|hi|thanks|thank|regards|please|the|and|is|my|order)\b", re.IGNORECASE
)


def guess_language(text: str) -> str:
    """A rough fi/en guess for a new contact's language; Finnish when unsure."""
    sample = text[:2000]
    return "en" if len(_EN_WORDS.findall(sample)) > len(_FI_WORDS.findall(sample)) else "fi"


def body_html(parsed: ParsedEmail) -> str:
    """The message's HTML with a reply's quoted history wrapped for folding."""
    html = parsed.html
    if parsed.html_source:
        new, folded = split_reply_html(parsed.html_source)
        if folded:
            html = sanitize_html(new) + f'<div class="{FOLDED_CLASS}">{sanitize_html(folded)}</div>'
    # An empty mail stays empty: the conversation template says so, and an
    # export must not present our wording as the customer's.
    return html


def fold_text_at(text: str) -> int | None:
    """Where the plain text's quoted history and signature start, if anywhere."""
    new, folded = split_reply_text(text)
    return len(new) if folded else None


@dataclass(frozen=True)
class PreparedEmail:
    """A parsed mail and what its customer message will store."""

    email: ParsedEmail
    # The HTML handed to the message row (folded; sanitised again there).
    html: str
    # The UI shows text[:fold_text_at] and folds the rest (message meta).
    fold_text_at: int | None
    # For a contact this mail creates.
    language: str
    # The text, HTML and preview the message row stores.
    body: StoredBody


def prepare(parsed: ParsedEmail) -> PreparedEmail:
    html = body_html(parsed)
    fold = fold_text_at(parsed.text)
    return PreparedEmail(
        email=parsed,
        html=html,
        fold_text_at=fold,
        language=guess_language(parsed.text),
        body=stored_body(parsed.text, html, fold_text_at=fold),
    )
