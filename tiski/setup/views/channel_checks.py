"""The "Check connection" buttons of Messenger and Instagram, WhatsApp and Telegram.

A POST calls the provider straight (not through the outbox): the admin
waits for the answer and reads it, success or what to fix, on the
account's page. The checks themselves are in ``setup/channel_checks.py``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages as flash
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from tiski.connectors.meta.models import MetaAccount
from tiski.connectors.telegram.models import TelegramBot
from tiski.connectors.whatsapp.models import WhatsAppAccount

from .. import channel_checks
from ..mailbox_checks import Outcome
from .common import admin_required
from .telegram_bots import webhook_url


def _run(
    request: HttpRequest, model: type[Model], pk: int, check: Callable, edit_view: str
) -> HttpResponse:
    account = get_object_or_404(model, pk=pk)
    outcome: Outcome = check(account)
    (flash.success if outcome.ok else flash.error)(request, outcome.message)
    return redirect(edit_view, pk=account.pk)


@require_POST
@admin_required
def meta_account_check(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(request, MetaAccount, pk, channel_checks.check_meta, "setup:meta-account-edit")


@require_POST
@admin_required
def whatsapp_account_check(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request, WhatsAppAccount, pk, channel_checks.check_whatsapp, "setup:whatsapp-account-edit"
    )


@require_POST
@admin_required
def telegram_bot_check(request: HttpRequest, pk: int) -> HttpResponse:
    def check(bot: TelegramBot) -> Outcome:
        return channel_checks.check_telegram(bot, webhook_url(request, bot))

    return _run(request, TelegramBot, pk, check, "setup:telegram-bot-edit")
