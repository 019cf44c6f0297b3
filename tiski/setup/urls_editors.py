"""Settings pages for channels, hours, service levels and ready answers.

Included by `urls.py` under the `setup` namespace; kept apart so the
sections can grow without everyone editing one list.
"""

from django.urls import path

from .views import (
    calendars,
    channel_checks,
    deletes,
    macros,
    mailboxes,
    meta_accounts,
    phone_lines,
    sla_policies,
    sms_accounts,
    telegram_bots,
    webchat,
    whatsapp_accounts,
)

urlpatterns = [
    path("mailboxes/", mailboxes.mailbox_list, name="mailboxes"),
    path("mailboxes/new/", mailboxes.mailbox_edit, name="mailbox-new"),
    path("mailboxes/<int:pk>/", mailboxes.mailbox_edit, name="mailbox-edit"),
    path("mailboxes/<int:pk>/test-send/", mailboxes.mailbox_test_send, name="mailbox-test-send"),
    path(
        "mailboxes/<int:pk>/check-inbox/",
        mailboxes.mailbox_check_inbox,
        name="mailbox-check-inbox",
    ),
    path("phone-lines/", phone_lines.line_list, name="phone-lines"),
    path("phone-lines/new/", phone_lines.line_edit, name="phone-line-new"),
    path("phone-lines/<int:pk>/", phone_lines.line_edit, name="phone-line-edit"),
    path("phone-lines/<int:pk>/token/", phone_lines.line_new_token, name="phone-line-token"),
    path("sms/", sms_accounts.account_list, name="sms-accounts"),
    path("sms/new/", sms_accounts.account_edit, name="sms-account-new"),
    path("sms/<int:pk>/", sms_accounts.account_edit, name="sms-account-edit"),
    path("sms/<int:pk>/test/", sms_accounts.account_test, name="sms-account-test"),
    path(
        "sms/<int:pk>/delete/", deletes.delete, {"kind": "sms_account"}, name="sms-account-delete"
    ),
    path("telegram/", telegram_bots.bot_list, name="telegram-bots"),
    path("telegram/new/", telegram_bots.bot_edit, name="telegram-bot-new"),
    path("telegram/<int:pk>/", telegram_bots.bot_edit, name="telegram-bot-edit"),
    path("telegram/<int:pk>/webhook/", telegram_bots.bot_set_webhook, name="telegram-bot-webhook"),
    path("telegram/<int:pk>/check/", channel_checks.telegram_bot_check, name="telegram-bot-check"),
    path(
        "telegram/<int:pk>/delete/",
        deletes.delete,
        {"kind": "telegram_bot"},
        name="telegram-bot-delete",
    ),
    path("whatsapp/", whatsapp_accounts.account_list, name="whatsapp-accounts"),
    path("whatsapp/new/", whatsapp_accounts.account_edit, name="whatsapp-account-new"),
    path("whatsapp/<int:pk>/", whatsapp_accounts.account_edit, name="whatsapp-account-edit"),
    path(
        "whatsapp/<int:pk>/check/",
        channel_checks.whatsapp_account_check,
        name="whatsapp-account-check",
    ),
    path(
        "whatsapp/<int:pk>/delete/",
        deletes.delete,
        {"kind": "whatsapp_account"},
        name="whatsapp-account-delete",
    ),
    path(
        "whatsapp/<int:pk>/templates/new/",
        whatsapp_accounts.template_edit,
        name="whatsapp-template-new",
    ),
    path(
        "whatsapp/<int:pk>/templates/<int:template_pk>/",
        whatsapp_accounts.template_edit,
        name="whatsapp-template-edit",
    ),
    path(
        "whatsapp/<int:pk>/templates/<int:template_pk>/delete/",
        whatsapp_accounts.template_delete,
        name="whatsapp-template-delete",
    ),
    path("meta/", meta_accounts.account_list, name="meta-accounts"),
    path("meta/new/", meta_accounts.account_edit, name="meta-account-new"),
    path("meta/<int:pk>/", meta_accounts.account_edit, name="meta-account-edit"),
    path("meta/<int:pk>/check/", channel_checks.meta_account_check, name="meta-account-check"),
    path(
        "meta/<int:pk>/delete/",
        deletes.delete,
        {"kind": "meta_account"},
        name="meta-account-delete",
    ),
    path("chat-widgets/", webchat.widget_list, name="chat-widgets"),
    path("chat-widgets/new/", webchat.widget_edit, name="chat-widget-new"),
    path("chat-widgets/<int:pk>/", webchat.widget_edit, name="chat-widget-edit"),
    path("calendars/", calendars.calendar_list, name="calendars"),
    path("calendars/new/", calendars.calendar_edit, name="calendar-new"),
    path("calendars/<int:pk>/", calendars.calendar_edit, name="calendar-edit"),
    path("calendars/holidays/", calendars.calendar_holidays, name="calendar-holidays"),
    path("sla-policies/", sla_policies.policy_list, name="sla-policies"),
    path("sla-policies/new/", sla_policies.policy_edit, name="sla-policy-new"),
    path("sla-policies/<int:pk>/", sla_policies.policy_edit, name="sla-policy-edit"),
    path("sla-policies/<int:pk>/move/", sla_policies.policy_move, name="sla-policy-move"),
    path("ready-answers/", macros.macro_list, name="macros"),
    path("ready-answers/new/", macros.macro_edit, name="macro-new"),
    path("ready-answers/<int:pk>/", macros.macro_edit, name="macro-edit"),
    path("ready-answers/preview/", macros.macro_preview, name="macro-preview"),
    path("ready-answers/<int:pk>/delete/", deletes.delete, {"kind": "macro"}, name="macro-delete"),
    path(
        "sla-policies/<int:pk>/delete/",
        deletes.delete,
        {"kind": "sla_policy"},
        name="sla-policy-delete",
    ),
    path(
        "calendars/<int:pk>/delete/", deletes.delete, {"kind": "calendar"}, name="calendar-delete"
    ),
    path("mailboxes/<int:pk>/delete/", deletes.delete, {"kind": "mailbox"}, name="mailbox-delete"),
    path(
        "phone-lines/<int:pk>/delete/",
        deletes.delete,
        {"kind": "phone_line"},
        name="phone-line-delete",
    ),
]
