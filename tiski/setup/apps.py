from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SetupConfig(AppConfig):
    name = "tiski.setup"
    label = "setup"
    verbose_name = _("Settings")
