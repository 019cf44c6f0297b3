"""What every messaging channel's account has: where its new tickets go, and a switch.

An SMS number, a Telegram bot, a WhatsApp number and a Messenger or
Instagram account each add their own address and secrets to these.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChannelAccount(models.Model):
    default_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    default_type = models.ForeignKey(
        "tickets.TicketType",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket type"),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
