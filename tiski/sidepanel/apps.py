from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SidePanelConfig(AppConfig):
    name = "tiski.sidepanel"
    label = "sidepanel"
    verbose_name = _("Side-panel cards")
