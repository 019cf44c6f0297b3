"""Record who changed which setting, from any Settings page."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.forms import ModelForm

from .models import SettingChange


def _shown(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, models.QuerySet):  # a many-to-many field's cleaned value
        return [str(v) for v in value]
    if isinstance(value, list | tuple | set):
        return [_shown(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def form_changes(form: ModelForm) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields a bound, valid ModelForm changed."""
    changes: dict[str, list[Any]] = {}
    for name in form.changed_data:
        old = form.initial.get(name)
        field = form.fields[name]
        if hasattr(field, "queryset") and old is not None:
            ids = old if isinstance(old, list | tuple) else [old]
            ids = [getattr(v, "pk", v) for v in ids]
            old = [str(o) for o in field.queryset.model._default_manager.filter(pk__in=ids)]
        changes[name] = [_shown(old), _shown(form.cleaned_data.get(name))]
    return changes


def record_setting_change(
    actor: Any,
    section: str,
    action: str,
    obj: Any,
    changes: dict[str, list[Any]] | None = None,
) -> SettingChange:
    """Append one row to the settings log; call it in the same transaction as the change."""
    return SettingChange.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        section=section,
        action=action,
        object_label=str(obj)[:200],
        object_id=str(getattr(obj, "pk", "") or ""),
        changes=changes or {},
    )


def record_rule_change(actor: Any, rule: Any, action: str, changes: dict[str, list[Any]]) -> None:
    """The rules' change recorder (see `rules.services.add_change_recorder`):
    triggers and time rules are logged under their own Settings sections."""
    section = "triggers" if rule.rule_kind == "trigger" else "time_rules"
    record_setting_change(actor, section, action, rule, changes)


def mailbox_connected(*, actor: Any, mailbox: Any, reconnected: bool) -> SettingChange:
    """TISKI_MAILBOX_CONNECTED_HANDLERS: an OAuth sign-in connected a mailbox."""
    action = SettingChange.Action.RECONNECTED if reconnected else SettingChange.Action.CONNECTED
    return record_setting_change(
        actor,
        "mailboxes",
        action,
        mailbox,
        {"auth_method": [None, str(mailbox.get_auth_method_display())]},
    )
