"""Deleting ready answers, SLA policies, calendars, mailboxes, phone lines and SMS numbers.

Confirm, then log what went. The page says what the delete does
(`channel_deletion` for mailboxes and lines) and refuses, naming why, what
cannot go yet: a calendar SLA policies still count by (the foreign key
protects it), a mailbox with mail still waiting to be processed or sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages as flash
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tiski.connectors.meta.models import MetaAccount
from tiski.connectors.models import Mailbox
from tiski.connectors.phone.models import PhoneLine
from tiski.connectors.sms.models import SmsAccount
from tiski.connectors.telegram.models import TelegramBot
from tiski.connectors.whatsapp.models import WhatsAppAccount
from tiski.macros.models import Macro
from tiski.sla.models import Calendar, SlaPolicy

from .. import audit
from ..channel_deletion import (
    Blocked,
    mailbox_blocked,
    mailbox_consequences,
    phone_line_consequences,
)
from .common import admin_required


@dataclass(frozen=True)
class Deletable:
    model: type[models.Model]
    section: str
    list_url: str
    edit_url: str
    question: Promise
    blocked: Callable[[Any], Blocked | None] = lambda obj: None
    consequences: Callable[[Any], list[str]] = field(default=lambda obj: [])


def _calendar_blocked(calendar: Calendar) -> Blocked | None:
    policies = [str(p) for p in SlaPolicy.objects.filter(calendar=calendar).order_by("position")]
    if not policies:
        return None
    return Blocked(
        _(
            "This calendar cannot be deleted while these SLA policies count by it. "
            "Choose another calendar for them first:"
        ),
        policies,
    )


KINDS = {
    "macro": Deletable(
        Macro,
        "macros",
        "setup:macros",
        "setup:macro-edit",
        gettext_lazy("Delete the ready answer “%(name)s”? Agents can no longer insert it."),
    ),
    "sla_policy": Deletable(
        SlaPolicy,
        "sla_policies",
        "setup:sla-policies",
        "setup:sla-policy-edit",
        gettext_lazy("Delete the SLA policy “%(name)s”? Its tickets get the next matching policy."),
    ),
    "calendar": Deletable(
        Calendar,
        "calendars",
        "setup:calendars",
        "setup:calendar-edit",
        gettext_lazy("Delete the calendar “%(name)s”?"),
        blocked=_calendar_blocked,
    ),
    "mailbox": Deletable(
        Mailbox,
        "mailboxes",
        "setup:mailboxes",
        "setup:mailbox-edit",
        gettext_lazy("Delete the mailbox “%(name)s”?"),
        blocked=mailbox_blocked,
        consequences=mailbox_consequences,
    ),
    "phone_line": Deletable(
        PhoneLine,
        "phone_lines",
        "setup:phone-lines",
        "setup:phone-line-edit",
        gettext_lazy("Delete the phone line “%(name)s”?"),
        consequences=phone_line_consequences,
    ),
    "sms_account": Deletable(
        SmsAccount,
        "sms_accounts",
        "setup:sms-accounts",
        "setup:sms-account-edit",
        gettext_lazy(
            "Delete the SMS number “%(name)s”? Its tickets and messages stay; "
            "messages to it are no longer received."
        ),
    ),
    "whatsapp_account": Deletable(
        WhatsAppAccount,
        "whatsapp_accounts",
        "setup:whatsapp-accounts",
        "setup:whatsapp-account-edit",
        gettext_lazy(
            "Delete the WhatsApp number “%(name)s” and its templates? Its tickets and "
            "messages stay; messages to it are no longer received."
        ),
    ),
    "meta_account": Deletable(
        MetaAccount,
        "meta_accounts",
        "setup:meta-accounts",
        "setup:meta-account-edit",
        gettext_lazy(
            "Delete “%(name)s”? Its tickets and messages stay; messages to it are no longer "
            "received."
        ),
    ),
    "telegram_bot": Deletable(
        TelegramBot,
        "telegram_bots",
        "setup:telegram-bots",
        "setup:telegram-bot-edit",
        gettext_lazy(
            "Delete the Telegram bot “%(name)s”? Its tickets and messages stay; "
            "messages to it are no longer received."
        ),
    ),
}


@require_http_methods(["GET", "POST"])
@admin_required
def delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    info = KINDS[kind]
    obj = get_object_or_404(info.model, pk=pk)
    blocked = info.blocked(obj)
    if request.method == "POST" and blocked is None:
        name = str(obj)
        with transaction.atomic():
            audit.record_setting_change(request.user, info.section, "deleted", obj, {})
            obj.delete()
        flash.success(request, _("Deleted “%(name)s”.") % {"name": name})
        return redirect(info.list_url)
    context = {
        "info": info,
        "obj": obj,
        "question": info.question % {"name": obj},
        "blocked": blocked,
        "consequences": [] if blocked else info.consequences(obj),
    }
    return render(
        request,
        "setup/editors/delete.html",
        context,
        status=409 if blocked and request.method == "POST" else 200,
    )
