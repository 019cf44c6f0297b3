"""A Facebook page or an Instagram account customers message, with its Graph API secrets."""

from __future__ import annotations

import secrets as pysecrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from tiski.connectors.messaging.accounts import ChannelAccount
from tiski.core.secrets import EncryptedTextField
from tiski.customers.models import IdentityKind
from tiski.tickets.models import Channel


def new_verify_token() -> str:
    return pysecrets.token_urlsafe(24)


class MetaKind(models.TextChoices):
    """Which of Meta's inboxes an account is; the value is also the channel's key."""

    MESSENGER = "messenger", _("Facebook page (Messenger)")
    INSTAGRAM = "instagram", _("Instagram account")


class MetaAccount(ChannelAccount):
    """One Facebook page or Instagram professional account: its id and secrets
    (encrypted, or ``env:NAME``), and where its tickets go."""

    kind = models.CharField(
        _("kind"), max_length=20, choices=MetaKind.choices, default=MetaKind.MESSENGER
    )
    name = models.CharField(_("name"), max_length=100)
    account_id = models.CharField(
        _("page or account ID"), max_length=64,
        help_text=_("The Facebook page's ID, or the Instagram professional account's ID."),
    )  # fmt: skip
    access_token = EncryptedTextField(_("page access token"))
    # Signs every webhook POST (X-Hub-Signature-256).
    app_secret = EncryptedTextField(_("app secret"))
    verify_token = models.CharField(
        _("verify token"), max_length=100, default=new_verify_token,
        help_text=_("Type the same token in the app's webhook settings at Meta."),
    )  # fmt: skip

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "account_id"], name="meta_account_unique")
        ]
        verbose_name = _("Messenger or Instagram account")
        verbose_name_plural = _("Messenger and Instagram accounts")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def channel(self) -> str:
        return Channel.INSTAGRAM if self.kind == MetaKind.INSTAGRAM else Channel.MESSENGER

    @property
    def identity_kind(self) -> str:
        """A PSID is only meaningful to its page, an IGSID to its account: two kinds."""
        return IdentityKind.INSTAGRAM if self.kind == MetaKind.INSTAGRAM else IdentityKind.MESSENGER
