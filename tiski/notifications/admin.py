from django.contrib import admin

from .models import Follow, Notification, NotificationSetting


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "ticket", "text", "read_at")
    list_filter = ("kind", "read_at")
    raw_id_fields = ("user", "ticket", "actor")


@admin.register(NotificationSetting)
class NotificationSettingAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "delivery")
    raw_id_fields = ("user",)


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ("user", "ticket", "reason", "created_at")
    raw_id_fields = ("user", "ticket")
