"""The public article page, rendered once and served from a cache.

The key is the help centre's content version (knowledge/public_version.py),
the brand (portal/hosts.py), the scheme and host (canonical URLs are
absolute; a brand has its own domain), the language and the slug. Any
write that can change a public page gives a new content version in the
same transaction, so after it commits no process finds the old page
again: an archived, unpublished or internal article is never served from
the cache, and a renamed one answers from its new address with the old
one redirecting.

A page is rendered with two marks in place of what belongs to one visitor
(the CSRF token of the feedback form and the Content-Security-Policy
nonce); each response gets its own values put in. The marks are random per
process, so no article text can contain them by design.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from tiski.knowledge import actions, public_version

from .hosts import current_brand

CACHE = "helpcentre"
CSRF_MARK = "tiskicsrf" + secrets.token_hex(12)
NONCE_MARK = "tiskinonce" + secrets.token_hex(12)

# Renders a page with the given extra context; returns the response and the
# article id whose read is counted (None: nothing to cache, e.g. a 404).
Render = Callable[..., tuple[HttpResponse, int | None]]


def cached_article(request: HttpRequest, lang: str, slug: str, render: Render) -> HttpResponse:
    version = public_version.current()  # first: see public_version's docstring
    # The brand as well as the host: a brand shows only its own categories and
    # its own name and colours, so one brand's page must never answer another's.
    found = current_brand(request)
    key = f"article:{version}:{found.pk if found else 0}:{request.scheme}:{request.get_host()}"
    key += f":{lang}:{slug}"
    cache = caches[CACHE]
    hit: tuple[int, str] | None = cache.get(key)
    if hit is not None:
        article_id, html = hit
        actions.record_view(article_id)
        return _personal(request, html)
    response, article_id = render(request, lang, slug, csrf_token=CSRF_MARK, csp_nonce=NONCE_MARK)
    if article_id is None or response.status_code != 200:
        return _filled(request, response)
    html = response.content.decode()
    cache.set(key, (article_id, html))
    actions.record_view(article_id)
    return _personal(request, html)


def _fill(request: HttpRequest, html: str) -> str:
    nonce = getattr(request, "csp_nonce", "")
    return html.replace(CSRF_MARK, get_token(request)).replace(NONCE_MARK, nonce)


def _personal(request: HttpRequest, html: str) -> HttpResponse:
    return HttpResponse(_fill(request, html), content_type="text/html; charset=utf-8")


def _filled(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A response not cached (a redirect, a 404) with the visitor's own values in."""
    if getattr(response, "streaming", False) or not response.content:
        return response
    response.content = _fill(request, response.content.decode()).encode()
    return response
