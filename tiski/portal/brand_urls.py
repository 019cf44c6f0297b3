"""The URLs a brand's own host name answers: its help centre and nothing else.

The desk, the API and Settings are not served on a brand's host (404): a
brand host is public, and the desk's session cookie stays on the desk's own
host names (portal/hosts.py).
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path

from .branding import brand
from .views import robots_txt


def brand_root(request: HttpRequest) -> HttpResponse:
    """The brand's address itself opens its help centre in its own language."""
    return redirect("portal:home", brand(request).language)


urlpatterns = [
    path("", brand_root, name="brand-root"),
    path("help/", include("tiski.portal.urls")),
    path("robots.txt", robots_txt, name="robots"),
]
