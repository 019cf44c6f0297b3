"""The public article page from the cache: served without rendering again, with
each visitor's own CSRF token and CSP nonce, and never after a write that
changes what the page may show."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tiski.knowledge import actions, reads
from tiski.knowledge.models import Article, ArticleStatus, HelpCentreSettings
from tiski.portal.page_cache import CACHE, CSRF_MARK, NONCE_MARK


@pytest.fixture(autouse=True)
def _empty_cache():
    caches[CACHE].clear()
    yield
    caches[CACHE].clear()


def _url(translation) -> str:
    return f"/help/{translation.language}/articles/{translation.slug}/"


def test_second_read_comes_from_the_cache_with_the_visitors_own_values(kb):
    url = _url(kb.published)
    first = Client().get(url)
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        second = Client().get(url)
    assert second.status_code == 200
    # The cached path: the content version, nothing rendered (reads are batched).
    assert len(queries) <= 2, [q["sql"] for q in queries]
    body = second.content.decode()
    assert kb.published.title in body
    assert CSRF_MARK not in body and NONCE_MARK not in body
    nonces = set(re.findall(r'nonce="([^"]+)"', body))
    first_nonces = set(re.findall(r'nonce="([^"]+)"', first.content.decode()))
    assert len(nonces) == 1 and nonces != first_nonces
    assert nonces == {re.search(r"'nonce-([^']+)'", second["Content-Security-Policy"]).group(1)}
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    assert token and second["Content-Language"] == "fi"
    reads.flush()
    assert Article.objects.get(pk=kb.published.article_id).views == 2


def test_feedback_form_from_the_cache_is_accepted(kb):
    visitor = Client(enforce_csrf_checks=True)
    visitor.get(_url(kb.published))
    page = visitor.get(_url(kb.published)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = visitor.post(
        _url(kb.published) + "feedback/", {"helpful": "yes", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


@pytest.mark.parametrize("change", ["archive", "draft", "internal"])
def test_an_article_taken_off_the_help_centre_is_never_served_from_the_cache(kb, change):
    url = _url(kb.published)
    assert Client().get(url).status_code == 200
    assert Client().get(url).status_code == 200  # now cached
    if change == "internal":
        actions.set_internal(kb.published.article, True)
    else:
        status = ArticleStatus.ARCHIVED if change == "archive" else ArticleStatus.DRAFT
        actions.set_status(kb.published, status, actor=None)
    response = Client().get(url)
    assert response.status_code == 404
    assert kb.published.title not in response.content.decode()


def test_edit_rename_and_category_changes_show_at_once(kb):
    url = _url(kb.published)
    Client().get(url)
    actions.save_translation(
        kb.published.article,
        "fi",
        author=None,
        title="Eräpäivän siirto, päivitetty",
        body_html="<p>Uusi ohjeteksti</p>",
        slug="eraspaivan-siirto",
    )
    assert Client().get(url).status_code == 301
    new = Client().get("/help/fi/articles/eraspaivan-siirto/").content.decode()
    assert "Uusi ohjeteksti" in new
    # A new section is a change of the help centre too: its version moves on.
    before = HelpCentreSettings.load().content_version
    actions.create_section(kb.category, "uusi-osio", {"fi": {"name": "Uusi osio"}})
    assert HelpCentreSettings.load().content_version != before
    actions.move_article(kb.published.article, kb.faq)
    moved = Client().get("/help/fi/articles/eraspaivan-siirto/").content.decode()
    assert "Usein kysyttyä" in moved


def test_branding_change_reaches_cached_pages(client, admin_user, kb):
    url = _url(kb.published)
    Client().get(url)
    client.force_login(admin_user)
    client.post("/settings/help-centre/", {"name": "Uusi Nimi Oy", "colour": "#1f5fa8"})
    assert "Uusi Nimi Oy" in Client().get(url).content.decode()


def test_thanks_after_feedback_is_not_served_from_the_cache(kb):
    url = _url(kb.published)
    Client().get(url)
    thanks = Client().get(url + "?thanks=1").content.decode()
    assert 'role="status"' in thanks
    assert 'role="status"' not in Client().get(url).content.decode()


def test_reads_are_added_in_batches(kb, settings):
    """Reads reach Article.views when a batch is full, added to what is there."""
    settings.TISKI_HELPCENTRE_READS_BATCH = 3
    url = _url(kb.published)
    Article.objects.filter(pk=kb.published.article_id).update(views=10)
    for _ in range(2):
        Client().get(url)
    assert Article.objects.get(pk=kb.published.article_id).views == 10
    Client().get(url)
    assert Article.objects.get(pk=kb.published.article_id).views == 13
