from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorktimeConfig(AppConfig):
    name = "tiski.worktime"
    label = "worktime"
    verbose_name = _("Handling time")

    def ready(self) -> None:
        from tiski.core import config_cache

        from .models import WorktimeSettings

        # The side panel keeps whether tracking is on (core/config_cache.py).
        config_cache.watch(WorktimeSettings)
