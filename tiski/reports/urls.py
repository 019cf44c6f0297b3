from django.urls import path

from . import overview_views

app_name = "reports"

urlpatterns: list = [
    path("", overview_views.overview_page, name="overview"),
]
