"""Word analysis for search: lemmas, compound parts, typo distance, query forms."""

from __future__ import annotations

import re

import pytest

from tiski.search import analysis
from tiski.search.matching import fts5_match, postgres_tsquery
from tiski.search.query import parse

needs_voikko = pytest.mark.skipif(
    not analysis.voikko_available(), reason="Voikko (libvoikko1, voikko-fi) is not installed"
)


@needs_voikko
@pytest.mark.parametrize(
    "form", ["lasku", "laskun", "laskua", "laskussa", "laskuni", "laskuja", "laskuihin"]
)
def test_every_form_of_a_word_has_one_lemma(form):
    assert analysis.analyse_word(form).lemmas == {"lasku"}


@needs_voikko
def test_compound_words_and_their_dictionary_forms():
    word = analysis.analyse_word("kahvinkeittimeni")
    assert word.lemmas == {"kahvinkeitin"}
    # "kahvin" is written in the genitive inside the compound; "kahvi" finds it too.
    assert word.components == (frozenset({"kahvin", "kahvi"}), frozenset({"keitin"}))
    assert analysis.analyse_word("toimitusosoitteen").parts == {"toimitus", "osoite"}


@needs_voikko
def test_derived_words_are_not_split_into_the_verbs_they_come_from():
    # toimitus < toimittaa: "toimittaa" must not become a part of "toimitusosoite".
    assert "toimittaa" not in analysis.analyse_word("toimitusosoite").parts


def test_words_without_the_dictionary_fall_back_to_snowball_stems():
    word = analysis.analyse_word("printers")
    assert not word.known
    assert "printer" in word.lemmas


def test_short_words_and_numbers_are_not_analysed():
    assert analysis.analyse_word("ja").lemmas == frozenset()
    assert analysis.analyse_word("40017").lemmas == frozenset()


def test_index_tokens_are_marked_and_distinct():
    tokens = analysis.index_tokens("Laskun lasku laskut")
    assert len(tokens) == len(set(tokens))
    assert all(t[0] in (analysis.LEMMA, analysis.PART) for t in tokens)


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("kahvinkeittin", "kahvinkeitin", True),  # extra letter
        ("salsana", "salasana", True),  # missing letter
        ("lahjakrotti", "lahjakortti", True),  # swapped neighbours
        ("pritner", "printer", True),
        ("virtanen", "virtanen", False),  # the same word is no correction
        ("kahvinkeitin", "kahvimylly", False),
        ("abcdef", "badcef", False),  # two swaps
    ],
)
def test_one_edit_apart(a, b, near):
    assert analysis.one_edit_apart(a, b) is near


@needs_voikko
def test_a_query_compound_also_matches_its_words_apart():
    word = analysis.analyse_query_word("toimitusosoite")
    assert word.compounds == ((("toimitus",), ("osoite",)),)


@needs_voikko
def test_unknown_words_get_dictionary_corrections():
    assert "kahvinkeitin" in analysis.analyse_query_word("kahvinkeittin").corrections


def test_synonyms_add_their_lemmas():
    word = analysis.analyse_query_word("faktuura", ["lasku"])
    assert set(analysis.analyse_word("lasku").lemmas) <= set(word.lemmas)


@pytest.mark.parametrize(
    "hostile", ['"', "'", "\\", "a:b", "(x", "x)", "NOT", "AND OR", "*", "{a b}:c", "^x", "&|!"]
)
def test_query_syntax_never_leaks_from_user_text(hostile):
    """Every piece a user typed is quoted: the built queries keep their shape."""
    parsed = parse(f"lasku {hostile}")
    match = fts5_match(parsed)
    assert match.count('"') % 2 == 0
    sql, params = postgres_tsquery(parsed)
    # The SQL is made of our own pieces only; what the user typed is in params.
    assert re.fullmatch(r"[()\s|&!%a-z_':,]+", sql.replace("::tsquery", ""))
    assert sql.count("%s") == len(params)
