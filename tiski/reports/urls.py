from django.urls import path

from . import handling, overview_views

app_name = "reports"

urlpatterns: list = [
    path("", overview_views.overview_page, name="overview"),
    path("handling/", handling.handling_page, name="handling"),
]
