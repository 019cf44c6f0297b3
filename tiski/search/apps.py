from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "tiski.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from tiski.core import config_cache

        from . import checks  # noqa: F401 - registers the system check
        from .models import SavedSearch

        # The inbox sidebar keeps each agent's saved searches (core/config_cache.py).
        config_cache.watch(SavedSearch)
