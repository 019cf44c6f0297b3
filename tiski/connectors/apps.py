from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "tiski.connectors"
    # Django Channels already owns the label "channels".
    label = "comms"
    verbose_name = _("Channels")
