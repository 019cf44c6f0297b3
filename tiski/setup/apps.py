from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SetupConfig(AppConfig):
    name = "tiski.setup"
    label = "setup"
    verbose_name = _("Settings")

    def ready(self) -> None:
        # Rules sit below Settings: they are handed the change log's recorder
        # rather than importing it.
        from tiski.rules.services import add_change_recorder

        from .audit import record_rule_change

        add_change_recorder(record_rule_change)
