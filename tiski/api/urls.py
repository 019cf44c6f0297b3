"""`/api/`: v1 (its OpenAPI document, its reference page) and the Zendesk-compatible v2."""

from django.urls import include, path

from . import oauth_views, reference
from .v1 import api

urlpatterns = [
    path("oauth/token", oauth_views.token, name="oauth-token"),
    path("v1/reference/", reference.reference_page, name="api-reference"),
    path("v1/", api.urls),
    path("v2/", include("tiski.api.zendesk.urls")),
]
