"""`/api/`: the v1 endpoints, their OpenAPI document and the reference page."""

from django.urls import path

from . import oauth_views, reference
from .v1 import api

urlpatterns = [
    path("oauth/token", oauth_views.token, name="oauth-token"),
    path("v1/reference/", reference.reference_page, name="api-reference"),
    path("v1/", api.urls),
]
