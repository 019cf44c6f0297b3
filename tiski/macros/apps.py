from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MacrosConfig(AppConfig):
    name = "tiski.macros"
    label = "macros"
    verbose_name = _("Ready answers")

    def ready(self) -> None:
        from tiski.core import config_cache

        from .models import Macro

        # The bulk bar keeps each agent's ready answers (core/config_cache.py).
        config_cache.watch(Macro)
