"""A parsed query as each database's full-text query, with analysed words.

Every word of the query may be found in several ways, best first:

1. as written (or, from three letters on, as the start of a word written:
   "kahvink" finds "kahvinkeittimen" while the agent types);
2. by a lemma: any inflected form ("laskuihin" finds "laskun");
3. as a word of a compound ("osoite" finds "toimitusosoitteen"), and a
   compound by its words written apart ("toimitusosoite" finds
   "toimitus- ja osoitetiedot" only when both words occur);
4. for an unknown word of six letters or more, by the words one typing
   error away: Voikko's suggestions ("kahvinkeittin" finds "kahvinkeitin")
   and the words customers wrote (`vocabulary`: "pritner" finds "printer");
5. by an admin's synonyms ("faktuura" finds "lasku").

Each way is one more alternative OR-ed into the word; the words of a query
are AND-ed. Ranking follows from the index's weights: a ticket that has the
word as written also has its lemma, so it ranks above one that only shares
the lemma, which ranks above one that only has it inside a compound.

Every string is quoted here, so nothing a user types becomes syntax.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from . import analysis
from .query import ParsedQuery

Synonyms = Mapping[str, Sequence[str]]
# query word → words of the index one typing error away (`vocabulary`)
Corrections = Mapping[str, Sequence[str]]


def prefix_worthy(term: str) -> bool:
    # Prefix matching finds half-typed words ("tulost" -> "tulostimen"); on
    # one or two letters it would match nearly everything. Numbers (order,
    # invoice, phone numbers) are matched whole: they do not inflect, and
    # PostgreSQL's statistics estimate an exact rare number as rare (a GIN
    # lookup) but any prefix as common (a walk over every ticket).
    return len(term) >= 3 and not term.isdigit()


def _analysed(term: str, synonyms: Synonyms) -> analysis.QueryWord | None:
    """The analysis of a one-word term; None for addresses, numbers and the like."""
    folded = analysis.fold(term)
    if not analysis.WORD_RE.fullmatch(folded) or folded.isdigit():
        return None
    return analysis.analyse_query_word(folded, synonyms.get(folded, ()))


# --- PostgreSQL ---------------------------------------------------------


def _lexeme(text: str, prefix: bool = False) -> str:
    """A tsquery lexeme literal: taken as it is, never parsed or stemmed."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if prefix else "")


def _pg_analysed(word: analysis.QueryWord, prefix: bool) -> str:
    alternatives = [_lexeme(token) for token in word.tokens()]
    for compound in word.compounds:
        every = [
            "(" + " | ".join(_lexeme(mark + form) for form in forms for mark in "=~") + ")"
            for forms in compound
        ]
        alternatives.append("(" + " & ".join(every) + ")")
    if prefix:
        alternatives.append(_lexeme(analysis.LEMMA + word.word, prefix=True))
    return " | ".join(alternatives)


def postgres_tsquery(
    parsed: ParsedQuery,
    synonyms: Synonyms | None = None,
    corrections: Corrections | None = None,
    *,
    negative_only: bool = False,
) -> tuple[str, list[str]]:
    """SQL for the query's tsquery and its parameters.

    Raw words go through ``to_tsquery('simple', ...)`` like the raw text
    went through ``to_tsvector('simple', ...)``; analysed tokens are cast
    straight to tsquery, because a parser would strip their marks.
    """
    synonyms = synonyms or {}
    corrections = corrections or {}
    pieces: list[str] = []
    params: list[str] = []

    def word_sql(term: str, *, prefix: bool) -> str:
        sql = "to_tsquery('simple', %s)"
        params.append(_lexeme(term, prefix=prefix))
        for near in corrections.get(term, ()):
            sql += " || to_tsquery('simple', %s)"
            params.append(_lexeme(near))
        for synonym in synonyms.get(analysis.fold(term), ()):
            sql += " || to_tsquery('simple', %s)"
            params.append(_lexeme(synonym, prefix=prefix_worthy(synonym)))
        sql = f"({sql})"
        word = _analysed(term, synonyms)
        if word is not None:
            analysed = _pg_analysed(word, prefix)
            if analysed:
                sql = f"({sql} || %s::tsquery)"
                params.append(analysed)
        return sql

    if negative_only:
        corrections = {}
        alternatives = [word_sql(term, prefix=False) for term in parsed.excluded]
        return "(" + " || ".join(alternatives) + ")", params
    for term in parsed.terms:
        pieces.append(word_sql(term, prefix=prefix_worthy(term)))
    for phrase in parsed.phrases:
        pieces.append("phraseto_tsquery('simple', %s)")
        params.append(phrase)
    corrections = {}  # an excluded word is excluded as written
    for unwanted in parsed.excluded:
        pieces.append("!!" + word_sql(unwanted, prefix=False))
    return "(" + " && ".join(pieces) + ")", params


# --- SQLite FTS5 ----------------------------------------------------------

RAW_COLUMNS = "{subject people body}"
ANALYSED_COLUMNS = "{lemmas parts}"


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts_word(term: str, synonyms: Synonyms, corrections: Corrections, *, prefix: bool) -> str:
    alternatives = [f"{RAW_COLUMNS} : {_fts_string(term)}" + ("*" if prefix else "")]
    alternatives += [f"{RAW_COLUMNS} : {_fts_string(near)}" for near in corrections.get(term, ())]
    alternatives += [
        f"{RAW_COLUMNS} : {_fts_string(synonym)}" + ("*" if prefix_worthy(synonym) else "")
        for synonym in synonyms.get(analysis.fold(term), ())
    ]
    word = _analysed(term, synonyms)
    if word is not None:
        marks: dict[str, Callable[[str], str]] = {
            analysis.LEMMA: lambda t: f"lemmas : {_fts_string(t)}",
            analysis.PART: lambda t: f"parts : {_fts_string(t)}",
        }
        alternatives += [marks[token[0]](token[1:]) for token in word.tokens()]
        for compound in word.compounds:
            every = [
                "("
                + " OR ".join(f"{ANALYSED_COLUMNS} : {_fts_string(form)}" for form in forms)
                + ")"
                for forms in compound
            ]
            alternatives.append("(" + " AND ".join(every) + ")")
        if prefix:
            alternatives.append(f"lemmas : {_fts_string(word.word)}*")
    return "(" + " OR ".join(alternatives) + ")"


def fts5_match(
    parsed: ParsedQuery,
    synonyms: Synonyms | None = None,
    corrections: Corrections | None = None,
    *,
    negative_only: bool = False,
) -> str:
    """FTS5 MATCH input for the query (or for its excluded words alone)."""
    synonyms = synonyms or {}
    corrections = corrections or {}
    if negative_only:
        return " OR ".join(_fts_word(t, synonyms, {}, prefix=False) for t in parsed.excluded)
    positive = [_fts_word(t, synonyms, corrections, prefix=prefix_worthy(t)) for t in parsed.terms]
    positive += [f"{RAW_COLUMNS} : {_fts_string(p)}" for p in parsed.phrases]
    text = " AND ".join(positive)
    for unwanted in parsed.excluded:
        text += " NOT " + _fts_word(unwanted, synonyms, {}, prefix=False)
    return text


def needs_correction(term: str) -> bool:
    """An unknown word long enough that one wrong letter is a typo."""
    folded = analysis.fold(term)
    return (
        len(folded) >= analysis.MIN_TYPO_LENGTH
        and folded.isalpha()
        and not analysis.analyse_word(folded).known
    )
