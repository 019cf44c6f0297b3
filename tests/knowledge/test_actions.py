"""Publishing rules, sanitising, versions and slugs of the knowledge base."""

from __future__ import annotations

import pytest

from tiski.knowledge import actions
from tiski.knowledge.models import ArticleSlug, ArticleStatus, ArticleTranslation


def test_body_is_sanitised_on_save(kb):
    """Scripts, handlers and foreign classes are gone; callouts and our images stay."""
    saved = actions.save_translation(
        kb.draft.article,
        "fi",
        author=None,
        title="Turvallinen",
        body_html=(
            '<p onclick="x()">Teksti<script>alert(1)</script></p>'
            '<div class="callout callout-info evil">Huom</div>'
            '<img src="/help/images/1/" alt="kuva"><img src="/desk/secret">'
            '<a href="javascript:alert(1)">linkki</a>'
        ),
    )
    assert "script" not in saved.body_html and "onclick" not in saved.body_html
    assert '<div class="callout callout-info">Huom</div>' in saved.body_html
    assert 'src="/help/images/1/"' in saved.body_html
    assert "/desk/secret" not in saved.body_html
    assert "javascript" not in saved.body_html
    assert "Teksti" in saved.body_text


def test_only_published_and_not_internal_is_public(kb):
    public = set(ArticleTranslation.objects.public().values_list("pk", flat=True))
    assert kb.published.pk in public and kb.published_en.pk in public
    assert kb.draft.pk not in public
    assert kb.internal.pk not in public
    assert kb.archived.pk not in public


def test_every_save_and_status_change_is_a_version(kb):
    translation = kb.published
    assert translation.versions.count() == 1
    actions.save_translation(
        translation.article, "fi", author=None, title=translation.title, body_html="<p>Uusi</p>"
    )
    actions.set_status(translation, ArticleStatus.ARCHIVED, actor=None)
    numbers = list(translation.versions.values_list("number", flat=True))
    assert numbers == [3, 2, 1]


def test_restore_brings_old_text_back_as_a_new_version(kb):
    translation = kb.published
    first = translation.versions.get(number=1)
    actions.save_translation(
        translation.article,
        "fi",
        author=None,
        title="Muutettu otsikko",
        body_html="<p>Muutettu</p>",
    )
    restored = actions.restore_version(first, actor=None)
    assert restored.title == "Laskun eräpäivän siirtäminen"
    assert "Avaa lasku" in restored.body_html
    assert restored.versions.count() == 3


def test_diff_shows_added_and_removed_lines(kb):
    translation = kb.published
    actions.save_translation(
        translation.article,
        "fi",
        author=None,
        title=translation.title,
        body_html=(
            "<h2>Näin siirrät eräpäivää</h2><ul><li>Avaa lasku</li><li>Soita meille</li></ul>"
        ),
    )
    new, old = translation.versions.order_by("-number")[:2]
    diff = actions.diff_versions(old, new)
    assert ("added", "Soita meille") in [(d.kind, d.text) for d in diff]
    assert ("removed", "Valitse uusi päivä") in [(d.kind, d.text) for d in diff]


def test_slug_rename_keeps_old_slug_and_new_articles_cannot_take_it(kb):
    old = kb.published.slug
    renamed = actions.save_translation(
        kb.published.article,
        "fi",
        author=None,
        title=kb.published.title,
        body_html=kb.published.body_html,
        slug="erapaivan-siirto",
    )
    assert renamed.slug == "erapaivan-siirto"
    assert ArticleSlug.objects.filter(language="fi", slug=old, translation=renamed).exists()
    other = actions.create_article(
        section=kb.section, author=None, language="fi", title="X", body_html="", slug=old
    )
    assert other.slug != old


def test_title_is_required(kb):
    with pytest.raises(actions.KnowledgeError):
        actions.save_translation(kb.draft.article, "fi", author=None, title="  ", body_html="")
