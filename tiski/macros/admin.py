from django.contrib import admin

from .models import Macro


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("name", "shortcut", "owner", "set_status", "active", "usage_count")
    list_filter = ("active", "set_status")
    search_fields = ("name", "shortcut", "text_fi", "text_en")
