"""Snippets mark the inflected forms of the query's words, not only the exact ones."""

from __future__ import annotations

import pytest

from tiski.accounts.models import Role
from tiski.search.query import parse
from tiski.search.service import (
    MARK_END,
    MARK_START,
    mark_inflected,
    query_lemmas,
    search_tickets,
)


@pytest.fixture
def agent(make_user):
    return make_user(role=Role.ADMIN)


def test_a_search_for_lasku_marks_laskussa_and_laskun(agent, indexed_ticket):
    indexed_ticket(
        subject="Virhe",
        text="Laskussa on väärä summa, ja laskun eräpäivä meni jo. Kiitos avusta.",
    )
    [hit] = search_tickets(agent, "lasku").hits
    assert "<mark>Laskussa</mark>" in hit.snippet
    assert "<mark>laskun</mark>" in hit.snippet
    assert "<mark>Kiitos</mark>" not in hit.snippet


def test_words_already_marked_are_not_marked_twice():
    lemmas = query_lemmas(parse("lasku"))
    raw = f"{MARK_START}lasku{MARK_END} ja laskut"
    assert mark_inflected(raw, lemmas) == (
        f"{MARK_START}lasku{MARK_END} ja {MARK_START}laskut{MARK_END}"
    )


def test_other_words_stay_unmarked():
    lemmas = query_lemmas(parse("lasku"))
    assert mark_inflected("tilaus saapui perjantaina", lemmas) == "tilaus saapui perjantaina"
