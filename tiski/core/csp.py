"""A strict Content-Security-Policy on every response.

Scripts come only from our own static files (and inline ones would need the
request's nonce: there are none today), styles only from our stylesheets,
no plugins, no ``<base>``, no framing by other sites (except the request
form's embeddable page, framed only by the sites an admin lists). It is the second
wall behind the sanitiser: HTML that slipped through could not run script,
load a remote resource or post a form elsewhere.

Two looser cases, each scoped as narrowly as the browser allows:

- a page that shows message bodies (the ticket page) may load ``https:``
  images. The bodies are sandboxed ``srcdoc`` frames, which inherit the
  page's policy, and "Show remote images" loads the sender's images there.
  The ticket views and the template tag that renders a frame mark the
  request (`allow_remote_images`); every other page keeps images to
  ``'self'`` and ``data:``.
- the Django admin (``/admin/``) may use inline styles: its change list
  writes a ``<style>`` block. Its scripts stay as strict as the desk's.

A view that sets its own ``Content-Security-Policy`` (attachment downloads
send ``sandbox``) keeps it. Our own middleware rather than django-csp: a
dozen lines, no dependency, and Django 6's built-in CSP can replace it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

HEADER = "Content-Security-Policy"
REMOTE_IMAGES_ATTR = "csp_remote_images"
FRAME_ANCESTORS_ATTR = "csp_frame_ancestors"


def policy(
    nonce: str,
    *,
    remote_images: bool = False,
    admin: bool = False,
    frame_ancestors: tuple[str, ...] = (),
) -> str:
    images = "'self' data: https:" if remote_images else "'self' data:"
    styles = "'self' 'unsafe-inline'" if admin else "'self'"
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": styles,
        "img-src": images,
        "font-src": "'self'",
        # 'self' covers the desk's websocket on the same host (CSP Level 3).
        "connect-src": "'self'",
        "frame-src": "'self'",
        "media-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": " ".join(frame_ancestors) or "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def context_processor(request: HttpRequest) -> dict[str, str]:
    """``csp_nonce`` for templates (django-htmx's script tags read it too)."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}


def allow_remote_images(request: HttpRequest | None) -> None:
    """This response shows message frames whose remote images may load."""
    if request is not None:
        setattr(request, REMOTE_IMAGES_ATTR, True)


def allow_framing(request: HttpRequest, origins: list[str]) -> None:
    """This response may be shown in a frame on these sites (the embeddable form)."""
    setattr(request, FRAME_ANCESTORS_ATTR, tuple(origins))


def _apply(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if HEADER not in response:
        response[HEADER] = policy(
            request.csp_nonce,  # type: ignore[attr-defined]
            remote_images=getattr(request, REMOTE_IMAGES_ATTR, False),
            admin=request.path_info.startswith("/admin/"),
            frame_ancestors=getattr(request, FRAME_ANCESTORS_ATTR, ()),
        )
    return response


class ContentSecurityPolicyMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if iscoroutinefunction(self):
            return self._acall(request)
        request.csp_nonce = secrets.token_urlsafe(16)  # type: ignore[attr-defined]
        return _apply(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        request.csp_nonce = secrets.token_urlsafe(16)  # type: ignore[attr-defined]
        return _apply(request, await self.get_response(request))
