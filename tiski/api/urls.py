"""`/api/`: the v1 endpoints, their OpenAPI document and the reference page."""

from django.urls import path

from . import reference
from .v1 import api

urlpatterns = [
    path("v1/reference/", reference.reference_page, name="api-reference"),
    path("v1/", api.urls),
]
