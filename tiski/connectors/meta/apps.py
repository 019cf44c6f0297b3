from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetaConfig(AppConfig):
    name = "tiski.connectors.meta"
    label = "meta"
    verbose_name = _("Messenger and Instagram")
    default_auto_field = "django.db.models.BigAutoField"
