"""The public help centre: pages, SEO tags, sitemap, redirects and no leaks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from django.urls import reverse

from tiski.knowledge import actions
from tiski.knowledge.models import Brand

from .pages import parse

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML_NS = "{http://www.w3.org/1999/xhtml}"


def _public_urls(kb) -> list[str]:
    """Every kind of public URL the help centre has."""
    urls = ["/help/", "/help/sitemap.xml", "/robots.txt", "/help/brand.css"]
    for lang in ("fi", "en"):
        urls += [
            f"/help/{lang}/",
            f"/help/{lang}/categories/{kb.category.slug}/",
            f"/help/{lang}/sections/{kb.section.slug}/",
            f"/help/{lang}/sections/{kb.faq.slug}/",
            f"/help/{lang}/request/",
            f"/help/{lang}/does-not-exist/",
        ]
        for word in ("laskuista", "hyvityslaskuista", "mitätöinti", "paperilaskut", "ohje"):
            urls += [
                f"/help/{lang}/search/?q={word}",
                f"/help/{lang}/request/suggest/?subject={word}",
            ]
    for translation in (kb.published, kb.published_en, kb.faq_article):
        urls.append(f"/help/{translation.language}/articles/{translation.slug}/")
    return urls


@pytest.mark.parametrize("host", ["", "tuki.example.fi"])
def test_hidden_articles_appear_on_no_public_url(client, kb, host):
    """Draft, internal, archived: on no page, in no sitemap, search or suggestion,
    on the desk's host nor on a brand's own host name showing their category."""
    headers = {}
    if host:
        brand = Brand.objects.create(name="Tuki", host=host, tag="tuki")
        brand.categories.set([kb.category])
        headers = {"host": host}
        assert (
            client.get(f"/help/fi/articles/{kb.published.slug}/", headers=headers).status_code
            == 200
        )
    hidden = [kb.draft, kb.internal, kb.archived]
    for url in _public_urls(kb):
        response = client.get(url, follow=True, headers=headers)
        body = response.content.decode()
        for article in hidden:
            assert article.title not in body, (url, article.title)
            assert article.slug not in body, (url, article.slug)
    for article in hidden:
        response = client.get(f"/help/fi/articles/{article.slug}/", headers=headers)
        assert response.status_code == 404


def test_hidden_article_old_slug_does_not_redirect(client, kb):
    old = kb.draft.slug
    actions.save_translation(
        kb.draft.article, "fi", author=None, title="Uusi nimi", body_html="", slug="uusi-nimi"
    )
    assert client.get(f"/help/fi/articles/{old}/").status_code == 404


def test_published_article_is_shown(client, kb):
    response = client.get(f"/help/fi/articles/{kb.published.slug}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h2>Näin siirrät eräpäivää</h2>" in body
    assert "<li>Avaa lasku</li>" in body


def test_renamed_slug_redirects_permanently(client, kb):
    old = kb.published.slug
    actions.save_translation(
        kb.published.article,
        "fi",
        author=None,
        title=kb.published.title,
        body_html=kb.published.body_html,
        slug="erapaiva",
    )
    response = client.get(f"/help/fi/articles/{old}/")
    assert response.status_code == 301
    assert response["Location"] == "/help/fi/articles/erapaiva/"


def _check_seo(page, url_path: str) -> None:
    canonicals = page.rel("canonical")
    assert len(canonicals) == 1
    assert canonicals[0]["href"].endswith(url_path)
    assert page.title.strip()
    assert page.meta("og:title") and page.meta("og:url") == [canonicals[0]["href"]]
    alternates = {link["hreflang"]: link["href"] for link in page.rel("alternate")}
    if alternates:
        assert "x-default" in alternates
        assert canonicals[0]["href"] in alternates.values()


@pytest.mark.parametrize("kind", ["home", "category", "section", "article", "faq"])
def test_seo_tags_on_every_page_type(client, kb, kind):
    paths = {
        "home": "/help/fi/",
        "category": f"/help/fi/categories/{kb.category.slug}/",
        "section": f"/help/fi/sections/{kb.section.slug}/",
        "article": f"/help/fi/articles/{kb.published.slug}/",
        "faq": f"/help/fi/sections/{kb.faq.slug}/",
    }
    response = client.get(paths[kind])
    assert response.status_code == 200
    page = parse(response.content.decode())
    _check_seo(page, paths[kind])
    assert page.meta("description")
    types = {block["@type"] for block in page.json_ld}
    if kind != "home":
        crumbs = next(b for b in page.json_ld if b["@type"] == "BreadcrumbList")
        assert [i["position"] for i in crumbs["itemListElement"]] == list(
            range(1, len(crumbs["itemListElement"]) + 1)
        )
        assert all(i["name"] and i["item"].startswith("http") for i in crumbs["itemListElement"])
    if kind == "article":
        data = next(b for b in page.json_ld if b["@type"] == "Article")
        for key in ("headline", "datePublished", "dateModified", "author", "mainEntityOfPage"):
            assert data[key]
        assert page.meta("og:type") == ["article"]
    if kind == "faq":
        assert "FAQPage" in types
        faq = next(b for b in page.json_ld if b["@type"] == "FAQPage")
        assert faq["mainEntity"][0]["name"] == kb.faq_article.title
        assert faq["mainEntity"][0]["acceptedAnswer"]["text"]


def test_hreflang_pairs_are_consistent_between_translations(client, kb):
    fi = parse(client.get(f"/help/fi/articles/{kb.published.slug}/").content.decode())
    en = parse(client.get(f"/help/en/articles/{kb.published_en.slug}/").content.decode())

    def pairs(page):
        return {
            link["hreflang"]: link["href"]
            for link in page.rel("alternate")
            if link["hreflang"] != "x-default"
        }

    assert pairs(fi) == pairs(en)
    assert set(pairs(fi)) == {"fi", "en"}
    # A language without a published translation is not offered.
    faq = parse(client.get(f"/help/fi/articles/{kb.faq_article.slug}/").content.decode())
    assert set(pairs(faq)) == {"fi"}


def test_json_ld_cannot_break_out_of_its_script(client, kb):
    actions.save_translation(
        kb.published.article,
        "fi",
        author=None,
        title="</script><script>alert(1)</script>",
        body_html="<p>x</p>",
    )
    body = client.get(f"/help/fi/articles/{kb.published.slug}/").content.decode()
    assert "<script>alert(1)" not in body
    page = parse(body)
    assert any(b.get("headline", "").startswith("</script>") for b in page.json_ld)


def test_sitemap_is_valid_with_lastmod_and_alternates(client, kb):
    response = client.get("/help/sitemap.xml")
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP_NS}urlset"
    urls = root.findall(f"{SITEMAP_NS}url")
    locs = [u.find(f"{SITEMAP_NS}loc").text for u in urls]
    assert len(locs) == len(set(locs))
    for url in urls:
        assert [child.tag for child in url][0] == f"{SITEMAP_NS}loc"
        assert url.find(f"{SITEMAP_NS}loc").text.startswith("http://testserver/help/")
        lastmod = url.find(f"{SITEMAP_NS}lastmod")
        if lastmod is not None:
            datetime.fromisoformat(lastmod.text)
    article = next(u for u in urls if kb.published.slug in u.find(f"{SITEMAP_NS}loc").text)
    assert article.find(f"{SITEMAP_NS}lastmod") is not None
    alternates = {a.get("hreflang") for a in article.findall(f"{XHTML_NS}link")}
    assert alternates == {"fi", "en"}


def test_robots_txt_names_the_sitemap(client, kb):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/help/sitemap.xml" in body
    assert "Allow: /help/" in body


def test_search_highlights_and_finds_inflected_words(client, kb):
    response = client.get("/help/fi/search/", {"q": "laskuihin"})
    body = response.content.decode()
    assert kb.published.title.split()[1] in body
    assert "<mark>" in body
    assert reverse("portal:article", args=["fi", kb.published.slug]) in body


def test_not_found_page_offers_search(client, kb):
    response = client.get("/help/fi/ei-ole/")
    assert response.status_code == 404
    assert 'action="/help/fi/search/"' in response.content.decode()


def test_feedback_is_recorded(client, kb):
    response = client.post(
        f"/help/fi/articles/{kb.published.slug}/feedback/",
        {"helpful": "no", "comment": "Ei auttanut"},
    )
    assert response.status_code == 302
    feedback = kb.published.feedback.get()
    assert feedback.helpful is False and feedback.comment == "Ei auttanut"
    assert client.post(f"/help/fi/articles/{kb.draft.slug}/feedback/", {}).status_code == 404


def test_page_language_follows_the_url(client, kb):
    body = client.get("/help/en/").content.decode()
    assert '<html lang="en">' in body
    body = client.get("/help/fi/").content.decode()
    assert '<html lang="fi">' in body
