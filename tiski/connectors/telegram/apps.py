from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelegramConfig(AppConfig):
    name = "tiski.connectors.telegram"
    label = "telegram"
    verbose_name = _("Telegram")
    default_auto_field = "django.db.models.BigAutoField"
