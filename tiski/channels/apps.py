from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "tiski.channels"
    # Django Channels already owns the label "channels".
    label = "comms"
    verbose_name = _("Channels")
