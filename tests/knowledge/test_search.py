"""Article search: the tickets' analysis, its own index, and the public filter."""

from __future__ import annotations

from tiski.knowledge import actions, search
from tiski.search import analysis


def _titles(hits):
    return [h.translation.title for h in hits]


def test_inflected_finnish_word_finds_the_article(kb):
    """ "laskuihin" and "eräpäivät" are other forms of words in the title."""
    assert kb.published.title in _titles(search.search_articles("laskuihin", language="fi"))
    assert kb.published.title in _titles(search.search_articles("eräpäivät", language="fi"))


def test_prefix_finds_while_typing(kb):
    assert kb.published.title in _titles(search.search_articles("eräpäiv", language="fi"))


def test_public_search_never_returns_drafts_internal_or_archived(kb):
    for word in ("hyvityslaskuista", "mitätöinti", "paperilaskut", "laskuja"):
        titles = _titles(search.search_articles(word, language="fi"))
        assert kb.draft.title not in titles
        assert kb.internal.title not in titles
        assert kb.archived.title not in titles


def test_agents_find_internal_articles_and_all_states_in_the_desk(kb):
    assert kb.internal.title in _titles(
        search.search_articles("mitätöinti", language="fi", scope=search.AGENT)
    )
    assert kb.draft.title in _titles(search.search_articles("hyvityslasku", scope=search.ALL))


def test_language_is_respected(kb):
    assert _titles(search.search_articles("invoice", language="en")) == [kb.published_en.title]
    assert search.search_articles("invoice", language="fi") == []


def test_results_are_highlighted_and_escaped(kb):
    actions.save_translation(
        kb.draft.article,
        "fi",
        author=None,
        title="<b>Laskutus</b> & maksut",
        body_html="<p>Laskutus toimii.</p>",
        status="published",
    )
    hit = search.search_articles("laskutus", language="fi")[0]
    assert "<mark>" in hit.title
    assert "<b>" not in hit.title and "&lt;b&gt;" in hit.title


def test_reindex_after_text_change(kb):
    actions.save_translation(
        kb.published.article, "fi", author=None, title="Kahvinkeitin", body_html="<p>x</p>"
    )
    assert _titles(search.search_articles("eräpäivä", language="fi")) == []
    found = _titles(search.search_articles("kahvinkeittimen", language="fi"))
    expected = ["Kahvinkeitin"] if analysis.words("kahvinkeittimen") else []
    assert found == expected
