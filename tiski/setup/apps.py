from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SetupConfig(AppConfig):
    name = "tiski.setup"
    label = "setup"
    verbose_name = _("Settings")

    def ready(self) -> None:
        # Rules sit below Settings and the channels: they are handed the
        # change log's recorder and the mailboxes rather than importing them.
        from tiski.rules import options
        from tiski.rules.services import add_change_recorder

        from .audit import record_rule_change
        from .rule_options import mailbox_options

        add_change_recorder(record_rule_change)
        options.provide("mailboxes", mailbox_options)
