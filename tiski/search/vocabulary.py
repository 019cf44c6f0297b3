"""The words of the index, for correcting a query word with one typing error.

Voikko corrects Finnish words from its dictionary; this corrects any word
(English, Swedish, names, product words, and Finnish without Voikko) from
what customers actually wrote.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from . import analysis
from .models import SearchTerm

# Shorter words are not corrected (one error in a short word makes another
# word), so shorter terms need not be kept: a correction differs by one letter.
MIN_TERM_LENGTH = analysis.MIN_TYPO_LENGTH - 1
MAX_CORRECTIONS = 5


def _keep(word: str) -> bool:
    return MIN_TERM_LENGTH <= len(word) <= analysis.MAX_ANALYSED_LENGTH and word.isalpha()


def record(words: Iterable[str]) -> None:
    """Add these (folded) words to the vocabulary; known ones are skipped."""
    new = sorted({w for w in words if _keep(w)})
    if not new:
        return
    table = SearchTerm._meta.db_table
    rows = [(w, w[:3], w[-3:], len(w)) for w in new]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (term, head, tail, length) "
                "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[]) "
                "ON CONFLICT (term) DO NOTHING",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            cursor.executemany(
                f"INSERT OR IGNORE INTO {table} (term, head, tail, length) VALUES (%s, %s, %s, %s)",
                rows,
            )


def corrections(word: str) -> list[str]:
    """Words of the index one typing error away from ``word``, if it is not one itself."""
    word = analysis.fold(word)
    if len(word) < analysis.MIN_TYPO_LENGTH or not word.isalpha():
        return []
    lengths = (len(word) - 1, len(word), len(word) + 1)
    candidates = SearchTerm.objects.filter(length__in=lengths)
    near = set(candidates.filter(head=word[:3]).values_list("term", flat=True)[:2000])
    near |= set(candidates.filter(tail=word[-3:]).values_list("term", flat=True)[:2000])
    if word in near:
        return []
    return sorted(t for t in near if analysis.one_edit_apart(word, t))[:MAX_CORRECTIONS]
