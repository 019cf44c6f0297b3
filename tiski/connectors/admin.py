from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .forms import MailboxSecretsForm, secret_widgets
from .models import EspName, InboundReceipt, Mailbox, ReceiptStatus


class MailboxForm(MailboxSecretsForm):
    """Secrets are write-only: never rendered back, kept when left empty."""

    stored_help = _(
        "Stored. Leave empty to keep it; type a new value to replace it, "
        "or env:NAME to read it from the environment."
    )
    empty_help = _("Encrypted when saved. env:NAME reads it from the environment instead.")

    class Meta:
        model = Mailbox
        # OAuth tokens are set by the connect flow, never typed in.
        fields = (
            "address",
            "display_name",
            "active",
            "default_team",
            "default_type",
            "signature",
            "thread_by_subject_days",
            "max_message_bytes",
            "auto_acknowledge",
            "ack_subject_fi",
            "ack_body_fi",
            "ack_subject_en",
            "ack_body_en",
            "inbound_method",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_password",
            "imap_folder",
            "imap_done_folder",
            "imap_idle",
            "outbound_method",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
            "smtp_password",
            "esp",
            "esp_api_key",
            "webhook_secret",
            "auth_method",
            "oauth_client_id",
            "oauth_client_secret",
            "oauth_tenant",
        )
        widgets = secret_widgets()


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "address",
                    "display_name",
                    "active",
                    "default_team",
                    "default_type",
                    "signature",
                )
            },
        ),
        (_("Threading and limits"), {"fields": ("thread_by_subject_days", "max_message_bytes")}),
        (
            _("Acknowledgement"),
            {
                "fields": (
                    "auto_acknowledge",
                    "ack_subject_fi",
                    "ack_body_fi",
                    "ack_subject_en",
                    "ack_body_en",
                )
            },
        ),
        (
            _("Incoming mail"),
            {
                "fields": (
                    "inbound_method",
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_username",
                    "imap_password",
                    "imap_folder",
                    "imap_done_folder",
                    "imap_idle",
                )
            },
        ),
        (
            _("Outgoing mail"),
            {
                "fields": (
                    "outbound_method",
                    "smtp_host",
                    "smtp_port",
                    "smtp_security",
                    "smtp_username",
                    "smtp_password",
                    "esp",
                    "esp_api_key",
                    "webhook_secret",
                    "webhook_urls",
                )
            },
        ),
        (
            _("Microsoft 365 / Google sign-in"),
            {
                "fields": (
                    "auth_method",
                    "oauth_client_id",
                    "oauth_client_secret",
                    "oauth_tenant",
                    "oauth_connection",
                )
            },
        ),
        (_("Secrets"), {"fields": ("clear_secrets",)}),
    )
    list_display = (
        "address",
        "display_name",
        "default_team",
        "default_type",
        "active",
        "auto_acknowledge",
    )
    list_filter = ("active",)
    search_fields = ("address", "display_name")
    readonly_fields = ("webhook_urls", "oauth_connection")

    @admin.display(description=_("inbound webhook addresses"))
    def webhook_urls(self, obj: Mailbox) -> str:
        if not obj.pk:
            return _("Save the mailbox first.")
        # Postmark, SendGrid and Amazon SNS authenticate by credentials in
        # the URL: the admin adds "tiski:<webhook secret>@" before the host.
        return format_html_join(
            mark_safe("<br>"),  # a constant separator, nothing to escape
            "{}: <code>{}</code>",
            (
                (label, reverse("email:inbound", args=[provider, obj.pk]))
                for provider, label in EspName.choices
            ),
        )

    @admin.display(description=_("connection"))
    def oauth_connection(self, obj: Mailbox) -> str:
        if not obj.pk:
            return _("Save the mailbox first.")
        if obj.oauth_refresh_token:
            status = _("Connected.")
        else:
            status = _("Not connected.")
        return format_html(
            '{} <a class="button" href="{}">{}</a><br><span class="help">{} <code>{}</code></span>',
            status,
            reverse("email:oauth-connect", args=[obj.pk]),
            _("Connect Microsoft 365 / Google account"),
            _("Redirect URI to register with the provider:"),
            reverse("email:oauth-callback"),
        )


class KeptAsideFilter(admin.SimpleListFilter):
    """Mail that made no customer message: quarantined, or a bounce or an
    automatic reply that found no ticket. What an admin looks through."""

    title = _("kept aside")
    parameter_name = "kept"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("aside", _("Quarantined, or without a ticket"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() != "aside":
            return queryset
        return queryset.filter(
            Q(status=ReceiptStatus.QUARANTINED)
            | Q(status=ReceiptStatus.PROCESSED, message__isnull=True)
        )


@admin.register(InboundReceipt)
class InboundReceiptAdmin(admin.ModelAdmin):
    list_display = (
        "received_at",
        "mailbox",
        "source",
        "status",
        "reason_short",
        "size",
        "attempts",
        "ticket",
        "raw_link",
    )
    list_filter = (KeptAsideFilter, "status", "source", "mailbox")
    search_fields = ("key", "reason")
    # Receipts are evidence of what arrived: nothing about them is edited by hand.
    readonly_fields = (
        "source",
        "key",
        "mailbox",
        "raw_link",
        "size",
        "status",
        "reason",
        "attempts",
        "ticket",
        "message",
        "suppress_automatic_mail",
        "received_at",
        "processed_at",
    )
    exclude = ("raw",)
    actions = ["reprocess"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("reason"))
    def reason_short(self, obj: InboundReceipt) -> str:
        return obj.reason.splitlines()[0][:120] if obj.reason else ""

    @admin.display(description=_("raw message"))
    def raw_link(self, obj: InboundReceipt) -> str:
        if not obj.raw:
            return ""
        url = reverse("admin:comms_inboundreceipt_raw", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def get_urls(self) -> list:
        # Raw mail holds personal data: it is streamed to admins through the
        # admin itself, never exposed under MEDIA_URL.
        extra = [
            path(
                "<int:pk>/raw/",
                self.admin_site.admin_view(self.download_raw),
                name="comms_inboundreceipt_raw",
            ),
        ]
        return extra + super().get_urls()

    def download_raw(self, request: HttpRequest, pk: int) -> FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        receipt = get_object_or_404(InboundReceipt, pk=pk)
        if receipt.channel != "email":
            return FileResponse(
                receipt.raw.open("rb"),
                as_attachment=True,
                filename=f"receipt-{receipt.pk}.txt",
                content_type="application/octet-stream",
            )
        return FileResponse(
            receipt.raw.open("rb"),
            as_attachment=True,
            filename=f"receipt-{receipt.pk}.eml",
            content_type="message/rfc822",
        )

    @admin.action(description=_("Re-process"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundReceipt]) -> None:
        from .email.intake import process_receipt

        # Only mail is re-run here: a quarantined webhook payload of another
        # channel is malformed and stays so (the provider sends a new one).
        ids = list(queryset.filter(channel="email").values_list("id", flat=True))
        for receipt_id in ids:
            process_receipt(receipt_id, force=True)
        self.message_user(
            request,
            ngettext(
                "%(count)d receipt re-processed.", "%(count)d receipts re-processed.", len(ids)
            )
            % {"count": len(ids)},
            messages.SUCCESS,
        )
