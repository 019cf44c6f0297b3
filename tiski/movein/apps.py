from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MoveInConfig(AppConfig):
    name = "tiski.movein"
    label = "movein"
    verbose_name = _("Moving in")
    default_auto_field = "django.db.models.BigAutoField"
