from django.contrib import admin

from .actions import set_contact_name
from .models import Contact, ContactMerge, Identity, Organisation, OrganisationDomain


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 1
    fields = ("kind", "value")


class DomainInline(admin.TabularInline):
    model = OrganisationDomain
    extra = 1


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "language", "created_at")
    list_filter = ("language",)
    search_fields = ("name", "identities__value")
    autocomplete_fields = ("organisation",)
    inlines = [IdentityInline]
    readonly_fields = ("name_source",)

    def save_model(self, request, obj, form, change) -> None:  # noqa: ANN001
        super().save_model(request, obj, form, change)
        if "name" in form.changed_data:
            # Typed by a person at the desk: mail never renames them again.
            set_contact_name(obj, obj.name)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name", "domains__domain")
    inlines = [DomainInline]


@admin.register(ContactMerge)
class ContactMergeAdmin(admin.ModelAdmin):
    list_display = ("__str__", "actor", "created_at", "undone_at")
    readonly_fields = [f.name for f in ContactMerge._meta.fields]
