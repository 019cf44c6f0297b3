"""Settings → Telegram bots: list, add, edit, delete, and set the bot's webhook.

"Set webhook" calls the Bot API's setWebhook with this bot's webhook URL
and secret token straight (not through the outbox): the admin waits and
gets Telegram's answer in a sentence.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiski.connectors.telegram import api
from tiski.connectors.telegram.models import TelegramBot
from tiski.connectors.transport import TransportError

from .. import audit
from ..forms_telegram import TelegramBotForm
from .common import admin_required

SECTION = "telegram_bots"


def webhook_url(request: HttpRequest, bot: TelegramBot) -> str:
    return request.build_absolute_uri(reverse("telegram:webhook", args=[bot.pk]))

# The shared edit page's links (setup/channel_accounts/edit.html).
EDIT_VIEWS = {"list_view": "setup:telegram-bots", "delete_view": "setup:telegram-bot-delete"}


@require_GET
@admin_required
def bot_list(request: HttpRequest) -> HttpResponse:
    bots = TelegramBot.objects.select_related("default_team")
    return render(request, "setup/telegram/list.html", {"accounts": bots})


@require_http_methods(["GET", "POST"])
@admin_required
def bot_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    bot = get_object_or_404(TelegramBot, pk=pk) if pk is not None else None
    form = TelegramBotForm(request.POST or None, instance=bot)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changes = form.log_changes(audit.form_changes(form))
            saved = form.save()
            if bot is None or changes:
                audit.record_setting_change(
                    request.user, SECTION, "changed" if bot else "created", saved, changes
                )
        flash.success(request, _("Saved %(bot)s.") % {"bot": saved})
        return redirect("setup:telegram-bot-edit", pk=saved.pk)
    context = {
        "form": form,
        "bot": bot,
        "webhook_url": webhook_url(request, bot) if bot else "",
        **EDIT_VIEWS,
    }
    return render(request, "setup/telegram/edit.html", context, status=400 if form.errors else 200)


@require_POST
@admin_required
def bot_set_webhook(request: HttpRequest, pk: int) -> HttpResponse:
    bot = get_object_or_404(TelegramBot, pk=pk)
    url = webhook_url(request, bot)
    try:
        api.set_webhook(bot, url)
    except TransportError as exc:
        flash.error(request, _("Telegram did not take the webhook: %(error)s") % {"error": exc})
    else:
        flash.success(
            request, _("Telegram now sends this bot's messages to %(url)s.") % {"url": url}
        )
    return redirect("setup:telegram-bot-edit", pk=bot.pk)
