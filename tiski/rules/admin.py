"""Admin for rules: JSON definitions edited as text, validated per item.

The desk's own settings pages (`views`, under /settings/rules/) are where
admins build rules by pointing and clicking; this is the fallback for raw
JSON. Its fields show errors by index (``all[1]: unknown condition type
“x”``), and the registry's types are listed in the help text.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext as _

from .models import RuleFiring, TimeRule, Trigger
from .registry import ACTIONS, CONDITIONS, TRIGGER_EVENTS


def _type_help() -> tuple[str, str]:
    conditions = ", ".join(f"{name} ({kind.label})" for name, kind in CONDITIONS.items())
    actions = ", ".join(f"{name} ({kind.label})" for name, kind in ACTIONS.items())
    return conditions, actions


class RuleAdminBase(admin.ModelAdmin):
    list_display = ("name", "active", "position", "last_fired_at", "fire_count")
    list_editable = ("active", "position")
    list_filter = ("active",)
    search_fields = ("name",)
    ordering = ("position", "id")
    readonly_fields = ("last_fired_at", "fire_count", "created_by", "created_at", "updated_at")

    def get_form(self, request, obj=None, change=False, **kwargs):  # type: ignore[override]
        form = super().get_form(request, obj, change, **kwargs)
        conditions, actions = _type_help()
        if "conditions" in form.base_fields:
            form.base_fields["conditions"].help_text = _("Condition types: %(types)s") % {
                "types": conditions
            }
        if "actions" in form.base_fields:
            form.base_fields["actions"].help_text = _("Action types: %(types)s") % {
                "types": actions
            }
        return form

    def save_model(self, request, obj, form, change) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Trigger)
class TriggerAdmin(RuleAdminBase):
    fields = (
        "name",
        "active",
        "position",
        "events",
        "conditions",
        "actions",
        *RuleAdminBase.readonly_fields,
    )

    def get_form(self, request, obj=None, change=False, **kwargs):  # type: ignore[override]
        form = super().get_form(request, obj, change, **kwargs)
        if "events" in form.base_fields:
            form.base_fields["events"].help_text = _("Events: %(events)s") % {
                "events": ", ".join(TRIGGER_EVENTS)
            }
        return form


@admin.register(TimeRule)
class TimeRuleAdmin(RuleAdminBase):
    list_display = (*RuleAdminBase.list_display, "last_run_at")
    readonly_fields = (*RuleAdminBase.readonly_fields, "last_run_at")
    fields = ("name", "active", "position", "conditions", "actions", *readonly_fields)


@admin.register(RuleFiring)
class RuleFiringAdmin(admin.ModelAdmin):
    list_display = ("fired_at", "rule_kind", "rule_name", "ticket", "effective", "summary")
    list_filter = ("rule_kind", "effective")
    search_fields = ("rule_name", "ticket__number")
    list_select_related = ("ticket",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the firing log is an audit trail
