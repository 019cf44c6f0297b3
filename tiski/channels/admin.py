from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import InboundReceipt, Mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
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
    list_filter = ("status", "source", "mailbox")
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
        return FileResponse(
            receipt.raw.open("rb"),
            as_attachment=True,
            filename=f"receipt-{receipt.pk}.eml",
            content_type="message/rfc822",
        )

    @admin.action(description=_("Re-process"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundReceipt]) -> None:
        from .email.intake import process_receipt

        ids = list(queryset.values_list("id", flat=True))
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
