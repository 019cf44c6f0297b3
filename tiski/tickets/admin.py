from django.contrib import admin

from .models import Tag, TicketMerge, TicketType


@admin.register(TicketType)
class TicketTypeAdmin(admin.ModelAdmin):
    list_display = ("name_fi", "name_en", "slug", "active", "position")
    list_editable = ("active", "position")
    prepopulated_fields = {"slug": ("name_en",)}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(TicketMerge)
class TicketMergeAdmin(admin.ModelAdmin):
    """Read-only: merges are made and undone from the ticket page, which keeps
    the record and the moved rows consistent."""

    list_display = ("__str__", "actor", "created_at", "undone_at")
    list_select_related = ("source", "target", "actor")
    search_fields = ("source__number", "target__number")
    readonly_fields = [f.name for f in TicketMerge._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
