"""WhatsApp Business numbers and the approved message templates they may send."""

from __future__ import annotations

import secrets as pysecrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from tiski.connectors.messaging.accounts import ChannelAccount
from tiski.core.secrets import EncryptedTextField

GRAPH_API = "https://graph.facebook.com"
API_VERSION = "v21.0"


def new_verify_token() -> str:
    return pysecrets.token_urlsafe(24)


class WhatsAppAccount(ChannelAccount):
    """One WhatsApp Business number: its Cloud API ids and secrets (encrypted, or ``env:NAME``)."""

    name = models.CharField(_("name"), max_length=100)
    number = models.CharField(
        _("number"), max_length=20, help_text=_("In E.164, e.g. +358401234567.")
    )
    phone_number_id = models.CharField(_("phone number ID"), max_length=64, unique=True)
    access_token = EncryptedTextField(_("access token"))
    # Signs every webhook POST (X-Hub-Signature-256).
    app_secret = EncryptedTextField(_("app secret"))
    verify_token = models.CharField(
        _("verify token"), max_length=100, default=new_verify_token,
        help_text=_("Type the same token in the app's webhook settings at Meta."),
    )  # fmt: skip
    api_url = models.URLField(
        _("API address"), blank=True, help_text=_("Leave empty for https://graph.facebook.com.")
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("WhatsApp number")
        verbose_name_plural = _("WhatsApp numbers")

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"

    @property
    def base_url(self) -> str:
        return f"{(self.api_url or GRAPH_API).rstrip('/')}/{API_VERSION}"


class WhatsAppTemplate(models.Model):
    """A message template approved at Meta: the only thing WhatsApp lets us send
    once the customer's last message is over 24 hours old."""

    account = models.ForeignKey(
        WhatsAppAccount, on_delete=models.CASCADE, related_name="templates",
        verbose_name=_("WhatsApp number"),
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=512, help_text=_("As approved at Meta."))
    language = models.CharField(_("language"), max_length=15, default="fi")
    body = models.TextField(
        _("text"), help_text=_("The approved text, with {{1}}, {{2}}… where the variables go.")
    )
    variables = models.PositiveSmallIntegerField(_("variables"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name", "language"], name="whatsapp_template_unique"
            )
        ]
        verbose_name = _("WhatsApp template")
        verbose_name_plural = _("WhatsApp templates")

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    def render(self, values: list[str]) -> str:
        text = self.body
        for n, value in enumerate(values, start=1):
            text = text.replace("{{" + str(n) + "}}", value)
        return text
