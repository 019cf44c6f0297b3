"""Settings pages under /settings/ (admins only)."""

from django.urls import path
from django.views.generic import RedirectView

from .urls_editors import urlpatterns as editor_urlpatterns
from .views import log, synonyms

app_name = "setup"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="rules:trigger-list"), name="home"),
    path("log/", log.change_log, name="log"),
    path("synonyms/", synonyms.synonym_list, name="synonyms"),
    path("synonyms/<int:pk>/", synonyms.synonym_edit, name="synonym-edit"),
    path("synonyms/<int:pk>/delete/", synonyms.synonym_delete, name="synonym-delete"),
]
urlpatterns += editor_urlpatterns
