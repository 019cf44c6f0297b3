"""SMS numbers (accounts) and the numbers that opted out."""

from __future__ import annotations

import secrets as pysecrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiski.connectors.messaging.accounts import ChannelAccount
from tiski.core.secrets import EncryptedTextField


class Provider(models.TextChoices):
    HTTP_JSON = "http_json", _("Generic HTTP/JSON")
    TWILIO = "twilio", _("Twilio")


def new_webhook_secret() -> str:
    return pysecrets.token_urlsafe(32)


class SmsAccount(ChannelAccount):
    """One SMS number of the desk and the provider it is sent and received through.

    Secrets are encrypted at rest, or ``env:NAME`` to read them from the
    environment (tiski.core.secrets).
    """

    name = models.CharField(_("name"), max_length=100)
    number = models.CharField(
        _("number"), max_length=20, unique=True, help_text=_("In E.164, e.g. +358401234567.")
    )
    provider = models.CharField(
        _("provider"), max_length=20, choices=Provider.choices, default=Provider.HTTP_JSON
    )
    api_url = models.URLField(
        _("API address"),
        blank=True,
        help_text=_(
            "Generic: the address Tiski posts outgoing messages to. "
            "Twilio: leave empty for https://api.twilio.com."
        ),
    )
    account_sid = models.CharField(_("account SID"), max_length=64, blank=True)
    # Generic: the Bearer token for sending. Twilio: the auth token, which
    # also signs Twilio's webhooks.
    api_token = EncryptedTextField(_("API token"), blank=True)
    # Generic provider: the HMAC-SHA256 key of its webhooks.
    webhook_secret = EncryptedTextField(_("webhook secret"), blank=True, default=new_webhook_secret)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("SMS number")
        verbose_name_plural = _("SMS numbers")

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class SmsOptOut(models.Model):
    """A number that sent STOP: no SMS goes to it until it sends START."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    keyword = models.CharField(_("keyword"), max_length=20, blank=True)
    opted_out_at = models.DateTimeField(_("opted out"), default=timezone.now)

    class Meta:
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")

    def __str__(self) -> str:
        return self.number
