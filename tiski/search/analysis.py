"""Words as a Finnish reader means them: lemmas and compound parts.

Search analyses text in Python, once when a ticket is indexed and once per
query, and stores the result in the index, so both databases search the
same tokens and behave alike whatever dictionaries the database has.

For every word of a text the index holds:

- the word as written (lower case), for exact and prefix matches, which the
  database's own `simple` tokenizer produces from the raw text;
- its lemmas, as ``=lemma`` tokens: "laskuihin" and "laskuni" both give
  ``=lasku``; "kahvinkeittimeni" gives ``=kahvinkeitin``;
- the parts of a compound, as ``~part`` tokens: "toimitusosoitteen" gives
  ``~toimitus`` and ``~osoite``, so "osoite" finds it.

Lemmas come from Voikko (libvoikko with its Finnish dictionary) where it is
installed; otherwise, and for words Voikko does not know (English, Swedish,
names, product codes), from the Snowball stemmers of Finnish, English and
Swedish. The analysis does not depend on the ticket's language, because the
query's language is not known: the same word always yields the same tokens
on both sides. Compounds are split only by Voikko; without it a compound is
found by its whole lemma and by prefix.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

LEMMA = "="
PART = "~"

# Words are runs of letters and digits; a hyphen or apostrophe inside a word
# ("e-mail", "O'Brien") joins, elsewhere punctuation separates.
WORD_RE = re.compile(r"\w+(?:['’-]\w+)*")
# Longer runs are codes, hashes or base64, not words anybody searches for by lemma.
MAX_ANALYSED_LENGTH = 40
# Words this short are function words or abbreviations; their lemmas would
# only add noise ("on", "ei", "ja").
MIN_ANALYSED_LENGTH = 3
# A compound part shorter than this is a derivational piece, not a word.
MIN_PART_LENGTH = 3
# Typo correction only for words long enough that one wrong letter is a typo
# and not another word.
MIN_TYPO_LENGTH = 6
# Voikko's suggestions considered (then only those one typing error away).
SUGGESTIONS = 6

SNOWBALL_LANGUAGES = ("finnish", "english", "swedish")


@dataclass(frozen=True)
class WordAnalysis:
    """What one word of a text or query means to search."""

    word: str
    lemmas: frozenset[str]
    parts: frozenset[str]
    known: bool  # the dictionary knew the word (not guessed by a stemmer)
    # The words of a compound, each with its written and dictionary form:
    # ({"kahvin", "kahvi"}, {"keitin"}); empty for a simple word.
    components: tuple[frozenset[str], ...] = ()


class _Voikko:
    """One libvoikko handle per thread (the C library is not thread-safe)."""

    def __init__(self) -> None:
        self._local = threading.local()
        self.available = self._handle() is not None

    def _handle(self) -> Any | None:
        handle = getattr(self._local, "handle", False)
        if handle is False:
            handle = None
            try:
                from django.conf import settings

                if not settings.TISKI_SEARCH_VOIKKO:
                    raise RuntimeError("turned off by TISKI_SEARCH_VOIKKO")
                import libvoikko

                handle = libvoikko.Voikko("fi")
            except Exception as exc:  # missing library, binding or dictionary
                log.info("Voikko is not available (%s); search uses Snowball stems", exc)
            self._local.handle = handle
        return handle

    def analyse(self, word: str) -> list[dict[str, str]]:
        handle = self._handle()
        return handle.analyze(word) if handle is not None else []

    def suggest(self, word: str) -> list[str]:
        handle = self._handle()
        return handle.suggest(word) if handle is not None else []


@lru_cache(maxsize=1)
def _voikko() -> _Voikko:
    return _Voikko()


@lru_cache(maxsize=1)
def _stemmers() -> list[Any]:
    try:
        import Stemmer
    except ImportError:  # pragma: no cover - PyStemmer is a dependency
        return []
    return [Stemmer.Stemmer(language) for language in SNOWBALL_LANGUAGES]


def voikko_available() -> bool:
    return _voikko().available


def fold(word: str) -> str:
    """Lower case in Unicode's sense, composed (an ä typed as a + ¨ is ä)."""
    return unicodedata.normalize("NFC", word).casefold()


def _structure_parts(baseform: str, structure: str) -> list[str]:
    """Split a lemma at the word boundaries Voikko marks in the surface form.

    STRUCTURE has one letter per character of the word as written and ``=``
    where a new word of a compound starts; all but the last part are written
    the same in the lemma, so the boundaries carry over to it.
    """
    cuts: list[int] = []
    position = 0
    for char in structure:
        if char == "=":
            if position:
                cuts.append(position)
            continue
        position += 1
    pieces = []
    start = 0
    for cut in cuts:
        if cut >= len(baseform):
            break
        pieces.append(baseform[start:cut])
        start = cut
    pieces.append(baseform[start:])
    return [piece for piece in pieces if piece]


_WORDBASE_RE = re.compile(r"\+([^+(]*)\(([^)]*)\)")


def _dictionary_forms(wordbases: str) -> dict[str, str]:
    """Written form → dictionary form of each word in a compound.

    WORDBASES reads "+kahvin(kahvi)+keitin(keitin)": "kahvin" is "kahvi".
    A derivational ending ("+toimit(toimittaa)+us(+us)") makes a new word
    ("toimitus") whose dictionary form is not the verb's, so derived words
    are left out rather than mapped to the word they came from.
    """
    groups: list[list[tuple[str, str]]] = []
    for surface, base in _WORDBASE_RE.findall(wordbases):
        if base.startswith("+") and groups:
            groups[-1].append((surface, base))
        else:
            groups.append([(surface, base)])
    return {fold(group[0][0]): fold(group[0][1]) for group in groups if len(group) == 1}


@lru_cache(maxsize=200_000)
def analyse_word(word: str) -> WordAnalysis:
    """The lemmas and compound parts of one word (already folded)."""
    if not (MIN_ANALYSED_LENGTH <= len(word) <= MAX_ANALYSED_LENGTH) or word.isdigit():
        return WordAnalysis(word, frozenset(), frozenset(), False, ())
    lemmas: set[str] = set()
    components: tuple[frozenset[str], ...] = ()
    for reading in _voikko().analyse(word):
        baseform = fold(reading.get("BASEFORM", ""))
        if not baseform:
            continue
        lemmas.add(baseform)
        pieces = _structure_parts(baseform, reading.get("STRUCTURE", ""))
        if len(pieces) > 1 and not components:
            # Non-final words of a compound are often inflected ("kahvin"
            # in "kahvinkeitin"); their dictionary form finds them too.
            forms = _dictionary_forms(reading.get("WORDBASES", ""))
            components = tuple(
                frozenset(f for f in (piece, forms.get(piece, piece)) if len(f) >= MIN_PART_LENGTH)
                for piece in pieces
            )
            components = tuple(c for c in components if c)
    known = bool(lemmas)
    if not known:
        lemmas.update(stemmer.stemWord(word) for stemmer in _stemmers())
    parts = {p for component in components for p in component} - lemmas
    return WordAnalysis(word, frozenset(lemmas), frozenset(parts), known, components)


def words(text: str) -> list[str]:
    return [fold(match) for match in WORD_RE.findall(text)]


def index_tokens(text: str) -> list[str]:
    """The analysed tokens of a text for the index: ``=lemma`` and ``~part``.

    Each distinct token once: the index ranks by which tokens a ticket has,
    and the raw text already carries how often a word occurs.
    """
    return tokens_of_words(words(text))


def tokens_of_words(folded_words: Iterable[str]) -> list[str]:
    """`index_tokens` for words already cut and folded."""
    tokens: dict[str, None] = {}
    for word in dict.fromkeys(folded_words):
        analysis = analyse_word(word)
        for lemma in analysis.lemmas:
            tokens[LEMMA + lemma] = None
        for part in analysis.parts:
            tokens[PART + part] = None
    return list(tokens)


@dataclass(frozen=True)
class QueryWord:
    """The ways one word of a query may be found, best first."""

    word: str
    lemmas: tuple[str, ...]
    # A compound in the query (or among its synonyms) also finds its words
    # written apart ("toimitusosoite" → "toimitus" and "osoite"): every
    # word of one compound, in any form.
    compounds: tuple[tuple[tuple[str, ...], ...], ...]
    corrections: tuple[str, ...]  # lemmas of spelling suggestions for an unknown word

    def tokens(self) -> list[str]:
        """Single index tokens that each alone match the word."""
        found = [LEMMA + lemma for lemma in self.lemmas]
        found += [PART + lemma for lemma in self.lemmas]
        found += [LEMMA + lemma for lemma in self.corrections]
        return list(dict.fromkeys(found))


def analyse_query_word(word: str, synonyms: Iterable[str] = ()) -> QueryWord:
    word = fold(word)
    analysis = analyse_word(word)
    lemmas = set(analysis.lemmas)
    compounds = [analysis.components] if analysis.components else []
    for synonym in synonyms:
        other = analyse_word(fold(synonym))
        lemmas |= other.lemmas
        if other.components:
            compounds.append(other.components)
    corrections: set[str] = set()
    if not analysis.known and len(word) >= MIN_TYPO_LENGTH and not any(c.isdigit() for c in word):
        for suggestion in _voikko().suggest(word)[:SUGGESTIONS]:
            suggestion = fold(suggestion)
            if one_edit_apart(word, suggestion):
                corrections |= analyse_word(suggestion).lemmas
    return QueryWord(
        word,
        tuple(sorted(lemmas)),
        tuple(tuple(tuple(sorted(c)) for c in components) for components in compounds),
        tuple(sorted(corrections - lemmas)),
    )


def one_edit_apart(a: str, b: str) -> bool:
    """One letter wrong, missing, extra, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]
