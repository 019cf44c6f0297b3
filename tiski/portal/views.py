"""The public help centre under /help/: server-rendered, no login, no JavaScript needed.

Every article read goes through `ArticleTranslation.objects.public()`
(published and not internal), so a draft, an archived or an internal
article cannot reach any page, the sitemap, search or a suggestion; the
tests walk every public URL to hold that.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db.models import Prefetch
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from tiski.core.desk import default_language
from tiski.knowledge import actions, search
from tiski.knowledge.models import (
    LANGUAGES,
    ArticleImage,
    ArticleSlug,
    ArticleTranslation,
    Brand,
    Category,
    HelpCentreSettings,
    Section,
)

from . import page_cache, seo
from .branding import brand
from .hosts import current_brand

POPULAR = 8
RELATED = 5


def in_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render the page in the language its URL names, whoever is logged in."""

    @wraps(view)
    def wrapper(request: HttpRequest, lang: str, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override(lang):
            request.LANGUAGE_CODE = lang  # type: ignore[attr-defined]
            response = view(request, lang, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        response.headers.setdefault("Content-Language", lang)
        return response

    return wrapper


def public(request: HttpRequest, lang: str):  # type: ignore[no-untyped-def]
    """The public translations in a language that this host's help centre shows."""
    return in_brand(request, ArticleTranslation.objects.public().filter(language=lang))


def in_brand(request: HttpRequest, qs):  # type: ignore[no-untyped-def]
    """Only the articles of the brand's categories (every article on the desk's own hosts)."""
    ids = brand(request).category_ids
    return qs if ids is None else qs.filter(article__section__category_id__in=ids)


def category_shown(request: HttpRequest, category_id: int) -> bool:
    ids = brand(request).category_ids
    return ids is None or category_id in ids


def page(
    request: HttpRequest,
    lang: str,
    template: str,
    meta: seo.PageMeta,
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    context |= {
        "lang": lang,
        "brand": brand(request),
        "meta": meta,
        "languages": [(code, code.upper()) for code in LANGUAGES],
    }
    return render(request, template, context, status=status)


def _alternates(request: HttpRequest, name: str, *args: str) -> list[tuple[str, str]]:
    return [
        (code, seo.absolute(request, reverse(f"portal:{name}", args=[code, *args])))
        for code in LANGUAGES
    ]


def root(request: HttpRequest) -> HttpResponse:
    lang = default_language()
    return redirect("portal:home", lang if lang in LANGUAGES else "fi")


@in_language
@require_GET
def home(request: HttpRequest, lang: str) -> HttpResponse:
    categories = [
        c
        for c in Category.objects.prefetch_related("sections")
        if category_shown(request, c.pk) and _has_public(request, c, lang)
    ]
    popular = public(request, lang).order_by("-article__views", "-updated_at")[:POPULAR]
    b = brand(request)
    url = seo.absolute(request, reverse("portal:home", args=[lang]))
    meta = seo.PageMeta(
        title=_("Help centre") + " · " + b.name,
        description=_("Answers to common questions from %(name)s.") % {"name": b.name},
        canonical=url,
        alternates=_alternates(request, "home"),
        json_ld=[
            {
                "@context": "https://schema.org",
                "@type": "WebSite",
                "name": b.name,
                "url": url,
                "potentialAction": {
                    "@type": "SearchAction",
                    "target": seo.absolute(request, reverse("portal:search", args=[lang]))
                    + "?q={query}",
                    "query-input": "required name=query",
                },
            }
        ],
    )
    return page(request, lang, "portal/home.html", meta, categories=categories, popular=popular)


def _has_public(request: HttpRequest, category: Category, lang: str) -> bool:
    return public(request, lang).filter(article__section__category=category).exists()


def _crumbs(request: HttpRequest, lang: str, *items: tuple[str, str]) -> dict[str, Any]:
    home_url = seo.absolute(request, reverse("portal:home", args=[lang]))
    return seo.breadcrumbs([(_("Help centre"), home_url), *items])


@in_language
@require_GET
def category(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    found = Category.objects.filter(slug=slug).first()
    if found is None or not category_shown(request, found.pk):
        return _not_found(request, lang)
    sections = [
        (
            s,
            list(
                public(request, lang).filter(article__section=s).order_by("article__position", "id")
            ),
        )
        for s in found.sections.all()
    ]
    sections = [(s, articles) for s, articles in sections if articles]
    url = seo.absolute(request, reverse("portal:category", args=[lang, slug]))
    meta = seo.PageMeta(
        title=f"{found.name(lang)} · {brand(request).name}",
        description=seo.short(found.description(lang) or found.name(lang)),
        canonical=url,
        alternates=_alternates(request, "category", slug),
        json_ld=[_crumbs(request, lang, (found.name(lang), url))],
    )
    return page(request, lang, "portal/category.html", meta, category=found, sections=sections)


@in_language
@require_GET
def section(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    found = Section.objects.select_related("category").filter(slug=slug).first()
    if found is None or not category_shown(request, found.category_id):
        return _not_found(request, lang)
    articles = list(
        public(request, lang).filter(article__section=found).order_by("article__position", "id")
    )
    url = seo.absolute(request, reverse("portal:section", args=[lang, slug]))
    category_url = seo.absolute(
        request, reverse("portal:category", args=[lang, found.category.slug])
    )
    json_ld = [
        _crumbs(request, lang, (found.category.name(lang), category_url), (found.name(lang), url))
    ]
    if found.is_faq and articles:
        json_ld.append(seo.faq_data([(a.title, a.body_text) for a in articles]))
    meta = seo.PageMeta(
        title=f"{found.name(lang)} · {brand(request).name}",
        description=seo.short(found.description(lang) or found.name(lang)),
        canonical=url,
        alternates=_alternates(request, "section", slug),
        json_ld=json_ld,
    )
    return page(request, lang, "portal/section.html", meta, section=found, articles=articles)


def _article_url(translation_row: ArticleTranslation) -> str:
    return reverse("portal:article", args=[translation_row.language, translation_row.slug])


@in_language
@require_GET
def article(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    if request.GET:
        # "?thanks=1" after feedback, or any other query: rendered for this visitor.
        response, article_id = _article_page(request, lang, slug)
        if article_id is not None:
            actions.record_view(article_id)
        return response
    return page_cache.cached_article(request, lang, slug, _article_page)


def _article_page(
    request: HttpRequest, lang: str, slug: str, **extra: Any
) -> tuple[HttpResponse, int | None]:
    """The article page and the id of the article read (None when there is none)."""
    found = (
        public(request, lang)
        .select_related("article__section__category")
        .prefetch_related(
            Prefetch("article__translations", queryset=ArticleTranslation.objects.public())
        )
        .filter(slug=slug)
        .first()
    )
    if found is None:
        old = ArticleSlug.objects.filter(language=lang, slug=slug).select_related("translation")
        moved = old.first()
        if moved is not None and public(request, lang).filter(pk=moved.translation_id).exists():
            # A renamed article: search engines move their ranking to the new URL.
            return HttpResponsePermanentRedirect(_article_url(moved.translation)), None
        return _not_found(request, lang), None
    section_row = found.article.section
    url = seo.absolute(request, _article_url(found))
    siblings = [t for t in found.article.translations.all() if t.language != lang]
    alternates = [(t.language, seo.absolute(request, _article_url(t))) for t in [found, *siblings]]
    alternates.sort()
    b = brand(request)
    description = seo.short(found.description or found.body_text)
    meta = seo.PageMeta(
        title=f"{found.title} · {b.name}",
        description=description,
        canonical=url,
        alternates=alternates,
        og_type="article",
        json_ld=[
            seo.article_data(
                headline=found.title,
                description=description,
                url=url,
                language=lang,
                published=found.published_at,
                modified=found.updated_at,
                publisher=b.name,
            ),
            _crumbs(
                request,
                lang,
                (
                    section_row.category.name(lang),
                    seo.absolute(
                        request, reverse("portal:category", args=[lang, section_row.category.slug])
                    ),
                ),
                (
                    section_row.name(lang),
                    seo.absolute(request, reverse("portal:section", args=[lang, section_row.slug])),
                ),
                (found.title, url),
            ),
        ],
    )
    related = list(
        public(request, lang)
        .filter(article__section=section_row)
        .exclude(pk=found.pk)
        .order_by("-article__views")[:RELATED]
    )
    if len(related) < RELATED:
        more = search.search_articles(
            found.title,
            language=lang,
            limit=RELATED + 1,
            categories=brand(request).category_ids,
        )
        seen = {found.pk, *(r.pk for r in related)}
        related += [h.translation for h in more if h.translation.pk not in seen][
            : RELATED - len(related)
        ]
    response = page(
        request,
        lang,
        "portal/article.html",
        meta,
        article=found,
        section=section_row,
        related=related,
        thanks=request.GET.get("thanks") == "1",
        **extra,
    )
    return response, found.article_id


@in_language
@require_POST
def feedback(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    found = public(request, lang).filter(slug=slug).first()
    if found is None:
        raise Http404
    helpful = request.POST.get("helpful") == "yes"
    actions.record_feedback(found, helpful, request.POST.get("comment", ""))
    return redirect(_article_url(found) + "?thanks=1#feedback")


@in_language
@require_GET
def search_page(request: HttpRequest, lang: str) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    ids = brand(request).category_ids
    hits = search.search_articles(query, language=lang, limit=30, categories=ids) if query else []
    meta = seo.PageMeta(
        title=_("Search") + f" · {brand(request).name}",
        description=_("Search the help centre"),
        canonical=seo.absolute(request, reverse("portal:search", args=[lang])),
        alternates=_alternates(request, "search"),
    )
    return page(request, lang, "portal/search.html", meta, query=query, hits=hits, noindex=True)


def _not_found(request: HttpRequest, lang: str) -> HttpResponse:
    meta = seo.PageMeta(
        title=_("Page not found") + f" · {brand(request).name}",
        description="",
        canonical=seo.absolute(request, reverse("portal:home", args=[lang])),
    )
    popular = public(request, lang).order_by("-article__views")[:POPULAR]
    return page(
        request, lang, "portal/not_found.html", meta, status=404, popular=popular, noindex=True
    )


@in_language
def not_found(request: HttpRequest, lang: str, rest: str) -> HttpResponse:
    return _not_found(request, lang)


@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    """Every public article with its lastmod and its translations, in one query.

    URLs are put together from one reversed prefix per language rather than
    a reverse() per row: at ten thousand articles that is the difference
    between milliseconds and seconds.
    """
    rows = (
        in_brand(request, ArticleTranslation.objects.public())
        .order_by("article_id", "language")
        .values_list("article_id", "language", "slug", "updated_at")
    )
    prefix = {
        code: seo.absolute(request, reverse("portal:article", args=[code, "x"]))[:-2]
        for code in LANGUAGES
    }
    by_article: dict[int, list[tuple[str, str]]] = {}
    listed = []
    for article_id, language, slug, updated_at in rows:
        url = f"{prefix[language]}{slug}/"
        by_article.setdefault(article_id, []).append((language, url))
        listed.append((article_id, url, updated_at))
    entries = [
        (seo.absolute(request, reverse("portal:home", args=[code])), None, []) for code in LANGUAGES
    ]
    entries += [(url, updated, by_article[article_id]) for article_id, url, updated in listed]
    return render(
        request, "portal/sitemap.xml", {"entries": entries}, content_type="application/xml"
    )


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    sitemap_url = seo.absolute(request, reverse("portal:sitemap"))
    lines = [
        "User-agent: *",
        "Allow: /help/",
        # Search engines render pages with their stylesheets.
        "Allow: /static/",
        "Disallow: /help/*/search/",
        "Disallow: /help/*/request/suggest/",
        "Disallow: /",
        f"Sitemap: {sitemap_url}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_GET
@cache_control(max_age=300, public=True)
def brand_css(request: HttpRequest) -> HttpResponse:
    # The colour comes as a stylesheet: the CSP allows no inline style.
    colour = brand(request).colour
    return HttpResponse(f":root {{ --hc-accent: {colour}; }}\n", content_type="text/css")


@require_GET
@cache_control(max_age=86400, public=True)
def image(request: HttpRequest, key: str) -> FileResponse:
    # By its random key only: counting row numbers finds nothing.
    found = get_object_or_404(ArticleImage, key=key)
    response = FileResponse(found.file.open("rb"), content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@cache_control(max_age=86400, public=True)
def logo(request: HttpRequest) -> FileResponse:
    row: HelpCentreSettings | Brand = current_brand(request) or HelpCentreSettings.load()
    if not row.logo or not row.logo_content_type:
        raise Http404
    response = FileResponse(row.logo.open("rb"), content_type=row.logo_content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
