from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "tiski.desk"
    label = "desk"
    verbose_name = _("Desk")

    def ready(self) -> None:
        # Open desk sockets re-read their user's teams when these change.
        from . import viewers

        viewers.connect()
