from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import (
    AgentPhone,
    Call,
    Callback,
    CallEvent,
    PhoneLine,
    SmsMessage,
    new_token,
)


@admin.register(PhoneLine)
class PhoneLineAdmin(admin.ModelAdmin):
    list_display = ("name", "number", "team", "active", "callback_sms")
    list_filter = ("active", "team")
    search_fields = ("name", "number")
    fields = (
        "name",
        "number",
        "team",
        "active",
        "token",
        "callback_sms",
        "click_to_call_url",
        "click_to_call_secret",
    )
    actions = ["rotate_token"]

    def get_readonly_fields(self, request, obj=None):
        # A token is generated on save; shown here so the admin can hand it
        # to the telephony integrator, rotated with the action.
        return ("token",) if obj else ()

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields if obj else [f for f in fields if f != "token"]

    @admin.action(description=_("Issue a new API token"))
    def rotate_token(self, request, queryset):
        for line in queryset:
            line.token = new_token()
            line.save()
        self.message_user(
            request, _("New tokens issued; the old ones stop working now."), messages.SUCCESS
        )


@admin.register(AgentPhone)
class AgentPhoneAdmin(admin.ModelAdmin):
    list_display = ("extension", "user")
    search_fields = ("extension", "user__email", "user__name")
    autocomplete_fields = ("user",)


class CallEventInline(admin.TabularInline):
    model = CallEvent
    extra = 0
    can_delete = False
    fields = ("key", "occurred_at", "agent", "payload", "received_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "line",
        "direction",
        "number",
        "phase",
        "cause",
        "agent",
        "ticket",
    )
    list_filter = ("line", "direction", "phase", "cause")
    search_fields = ("call_id", "number")
    readonly_fields = [f.name for f in Call._meta.fields]
    inlines = [CallEventInline]

    def has_add_permission(self, request):
        return False


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ("number", "line", "ticket", "attempts", "created_at", "resolved_at")
    list_filter = ("line",)
    search_fields = ("number",)
    raw_id_fields = ("ticket", "related_ticket", "resolved_by_call")


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    list_display = ("to", "day", "outbound", "created_at")
    list_filter = ("purpose",)
    readonly_fields = [f.name for f in SmsMessage._meta.fields]
