"""Telegram bots the desk answers as."""

from __future__ import annotations

import secrets as pysecrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from tiski.connectors.messaging.accounts import ChannelAccount
from tiski.core.secrets import EncryptedTextField

BOT_API = "https://api.telegram.org"


def new_secret_token() -> str:
    # Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -.
    return pysecrets.token_urlsafe(32)


class TelegramBot(ChannelAccount):
    """One bot: its token (encrypted at rest, or ``env:NAME``) and the webhook's secret token."""

    name = models.CharField(_("name"), max_length=100)
    username = models.CharField(_("bot username"), max_length=64, blank=True)
    bot_token = EncryptedTextField(_("bot token"))
    secret_token = EncryptedTextField(
        _("webhook secret token"), default=new_secret_token,
        help_text=_("Telegram sends it with every update; other requests are refused."),
    )  # fmt: skip
    api_url = models.URLField(
        _("API address"), blank=True, help_text=_("Leave empty for https://api.telegram.org.")
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("Telegram bot")
        verbose_name_plural = _("Telegram bots")

    def __str__(self) -> str:
        return f"{self.name} (@{self.username})" if self.username else self.name

    @property
    def base_url(self) -> str:
        return (self.api_url or BOT_API).rstrip("/")
