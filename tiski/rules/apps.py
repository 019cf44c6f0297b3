from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulesConfig(AppConfig):
    name = "tiski.rules"
    label = "rules"
    verbose_name = _("Rules")

    def ready(self) -> None:
        # The built-in condition and action types register themselves on
        # import. Importing them here, not from the registry, keeps the
        # registry below the types that use it (no import cycle).
        from . import actions, conditions, field_types, survey_types  # noqa: F401
