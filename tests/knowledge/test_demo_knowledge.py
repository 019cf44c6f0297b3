"""The demo's knowledge base: written through the actions, shown in the help centre."""

from __future__ import annotations

from tiski.knowledge import search
from tiski.knowledge.models import ArticleTranslation
from tiski.operations.demo_knowledge import ARTICLES, make_knowledge_base


def test_demo_articles_are_published_except_the_internal_and_the_draft(client, make_user):
    assert make_knowledge_base(make_user(), desk_name="Papumylly Oy") == len(ARTICLES)
    assert make_knowledge_base(make_user()) == 0  # a second run adds nothing
    public = ArticleTranslation.objects.public()
    assert public.filter(language="fi").count() == len(ARTICLES) - 2
    assert public.filter(language="en").exists()
    home = client.get("/help/fi/").content.decode()
    assert "Papumylly Oy" in home and "Laskutus ja maksut" in home
    titles = [h.translation.title for h in search.search_articles("kalkinpoistoon", language="fi")]
    assert titles == ["Kahvinkeittimen kalkinpoisto"]
    faq = client.get("/help/fi/sections/usein-kysyttya-laskuista/").content.decode()
    assert '"FAQPage"' in faq
