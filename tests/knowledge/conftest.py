"""A small knowledge base written through the actions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tiski.knowledge import actions
from tiski.knowledge.models import ArticleStatus, ArticleTranslation, Category, Section


@dataclass
class Base:
    category: Category
    section: Section
    faq: Section
    published: ArticleTranslation
    published_en: ArticleTranslation
    draft: ArticleTranslation
    internal: ArticleTranslation
    archived: ArticleTranslation
    faq_article: ArticleTranslation


@pytest.fixture
def kb(db, make_user) -> Base:
    author = make_user(name="Kirjoittaja")
    category = actions.create_category(
        "laskutus", {"fi": {"name": "Laskutus"}, "en": {"name": "Billing"}}
    )
    section = actions.create_section(
        category, "laskut", {"fi": {"name": "Laskut"}, "en": {"name": "Invoices"}}
    )
    faq = actions.create_section(
        category,
        "usein-kysyttya",
        {"fi": {"name": "Usein kysyttyä"}, "en": {"name": "FAQ"}},
        is_faq=True,
    )
    published = actions.create_article(
        section=section,
        author=author,
        language="fi",
        title="Laskun eräpäivän siirtäminen",
        body_html=(
            "<h2>Näin siirrät eräpäivää</h2><ul><li>Avaa lasku</li><li>Valitse uusi päivä</li></ul>"
        ),
        description="Kun tarvitset lisäaikaa laskun maksamiseen.",
        publish=True,
    )
    published_en = actions.save_translation(
        published.article,
        "en",
        author=author,
        title="Moving an invoice due date",
        body_html="<p>Open the invoice and choose a new date.</p>",
        status=ArticleStatus.PUBLISHED,
    )
    draft = actions.create_article(
        section=section,
        author=author,
        language="fi",
        title="Salainen luonnos hyvityslaskuista",
        body_html="<p>Luonnosteksti hyvityslaskuista, ei julkinen.</p>",
    )
    internal = actions.create_article(
        section=section,
        author=author,
        language="fi",
        title="Sisäinen ohje laskujen mitätöinnistä",
        body_html="<p>Vain asiakaspalvelijoille: laskujen mitätöinti.</p>",
        internal=True,
        publish=True,
    )
    archived = actions.create_article(
        section=section,
        author=author,
        language="fi",
        title="Vanha ohje paperilaskuista",
        body_html="<p>Paperilaskut poistuivat käytöstä.</p>",
        publish=True,
    )
    actions.set_status(archived, ArticleStatus.ARCHIVED, actor=author)
    faq_article = actions.create_article(
        section=faq,
        author=author,
        language="fi",
        title="Voinko maksaa laskun osissa?",
        body_html="<p>Kyllä, ota yhteyttä asiakaspalveluun.</p>",
        publish=True,
    )
    return Base(
        category, section, faq, published, published_en, draft, internal, archived, faq_article
    )


@pytest.fixture(autouse=True)
def _no_reads_from_other_tests():
    """Reads are kept in memory between batches; a rolled-back test's must not
    be added to another test's articles."""
    from tiski.knowledge import reads

    reads.discard()
    yield
    reads.discard()
