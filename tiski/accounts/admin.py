from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.contrib.auth.forms import UserCreationForm as BaseUserCreationForm
from django.utils.translation import gettext_lazy as _

from .models import Team, User


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "role", "language")


class UserChangeForm(BaseUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class TeamMembershipInline(admin.TabularInline):
    model = Team.members.through
    extra = 0
    verbose_name = _("team membership")
    verbose_name_plural = _("team memberships")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ("name",)
    list_display = (
        "name",
        "email",
        "role",
        "language",
        "is_active",
        "out_of_office_from",
        "out_of_office_until",
    )
    list_filter = ("role", "is_active", "language", "teams")
    search_fields = ("name", "email")
    inlines = [TeamMembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "name", "password")}),
        (_("Role and language"), {"fields": ("role", "language", "is_active")}),
        (
            _("Out of office"),
            {"fields": ("out_of_office_from", "out_of_office_until", "absence_delegate")},
        ),
        (
            _("Routing"),
            {
                "fields": ("skills",),
                "description": _(
                    'Skills as a list, e.g. ["fi", "en", "espresso"]: languages and ticket tags.'
                ),
            },
        ),
        (_("Signature"), {"fields": ("signature",)}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "role", "language", "password1", "password2"),
            },
        ),
    )
    filter_horizontal = ()


class TeamAdminForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ("name", "description", "restricted", "routing", "max_open_per_agent", "members")
        widgets = {"members": forms.CheckboxSelectMultiple}


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamAdminForm
    list_display = ("name", "restricted", "routing", "member_count")
    list_filter = ("restricted",)
    search_fields = ("name",)

    @admin.display(description=_("members"))
    def member_count(self, obj: Team) -> int:
        return obj.members.count()
