from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "tiski.connectors"
    # Django Channels already owns the label "channels".
    label = "comms"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from tiski.core import config_cache

        from .models import Mailbox

        # The composer's route keeps the active mailboxes (core/config_cache.py);
        # a refreshed OAuth token changes nothing it shows.
        config_cache.watch(
            Mailbox, ignore=("oauth_access_token", "oauth_refresh_token", "oauth_expires_at")
        )
