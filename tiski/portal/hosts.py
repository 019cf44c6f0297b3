"""Brands on their own host names: which help centre a request's Host asks for.

Django accepts only the host names of ALLOWED_HOSTS; a brand's host name is
added by an admin in Settings, so it lives in the database. This middleware
runs first and decides for every request:

- a host ALLOWED_HOSTS accepts: the desk's own, served as before, no brand
  and no query (a brand's host name may not be one of these: the form says so);
- a brand's host name, exactly: the brand's help centre and nothing else
  (`brand_urls`: `/`, `/help/...`, `/robots.txt`; the desk, the API and the
  settings answer 404 there, so a session cookie of the desk is never set
  on a domain the server operator did not list);
- anything else: refused with Django's own DisallowedHost (400), as before.

The accepted host is put on the request (`get_host` answers it) so CSRF
origin checks, absolute URLs, canonical links and sign-in links all use the
brand's host name; the raw header never reaches them unchecked.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host

from tiski.knowledge.models import Brand

BRAND_URLCONF = "tiski.portal.brand_urls"


def desk_hosts() -> list[str]:
    """ALLOWED_HOSTS as Django reads it (DEBUG with none set allows localhost)."""
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return allowed


def is_desk_host(domain: str) -> bool:
    return validate_host(domain, desk_hosts())


def raw_host(request: HttpRequest) -> str:
    """The Host the client sent, read the way Django's get_host reads it."""
    meta = request.META
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in meta:
        return meta["HTTP_X_FORWARDED_HOST"]
    if "HTTP_HOST" in meta:
        return meta["HTTP_HOST"]
    return meta.get("SERVER_NAME", "")


def brand_for(domain: str) -> Brand | None:
    if not domain or is_desk_host(domain):
        return None
    return Brand.objects.filter(host=domain.lower()).first()


class BrandHostMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.brand = None  # type: ignore[attr-defined]
        host = raw_host(request)
        domain, _port = split_domain_port(host)
        if domain and not is_desk_host(domain):
            found = brand_for(domain)
            if found is None:
                raise DisallowedHost(f"Invalid HTTP_HOST header: {host!r}.")
            request.brand = found  # type: ignore[attr-defined]
            request.urlconf = BRAND_URLCONF  # type: ignore[attr-defined]
            # Checked above: every later reader (CSRF, absolute URLs) gets this host.
            request.get_host = lambda: host  # type: ignore[method-assign]
        return self.get_response(request)


def current_brand(request: HttpRequest) -> Brand | None:
    """The brand whose host the request came to; None on the desk's own hosts."""
    return getattr(request, "brand", None)
