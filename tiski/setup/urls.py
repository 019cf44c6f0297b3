"""Settings pages under /settings/ (admins only)."""

from django.urls import path
from django.views.generic import RedirectView

from .views import log

app_name = "setup"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="rules:trigger-list"), name="home"),
    path("log/", log.change_log, name="log"),
]
