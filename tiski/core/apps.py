from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "tiski.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import lookups, timestamps

        lookups.register()
        timestamps.register()
