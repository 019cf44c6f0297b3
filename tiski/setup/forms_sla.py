"""The SLA policy form: targets in hours and minutes, a condition per ticket field.

Conditions are the policy's own match fields (priority, channel, type, team,
organisation, tags): each list empty means "any", and a ticket must match
every list that is not empty. That is what `sla.services.matching_policy`
reads, so the form edits exactly what decides.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiski.sla.models import PRIORITIES, TARGET_KINDS, SlaPolicy
from tiski.tickets.models import Channel, Priority

from .forms_macros import split_tags

TARGET_LABELS = {
    "first_reply": gettext_lazy("First reply"),
    "next_reply": gettext_lazy("Next reply"),
    "resolution": gettext_lazy("Resolution"),
}
MAX_HOURS = 9999


def _name(priority: str, kind: str, unit: str) -> str:
    return f"t_{priority}_{kind}_{unit}"


class SlaPolicyForm(forms.ModelForm):
    match_priorities = forms.MultipleChoiceField(
        label=gettext_lazy("Priority is"),
        choices=[(p, Priority(p).label) for p in PRIORITIES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    match_channels = forms.MultipleChoiceField(
        label=gettext_lazy("Channel is"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.CharField(
        label=gettext_lazy("Has any of the tags"),
        required=False,
        help_text=gettext_lazy("Separate tags with commas."),
        widget=forms.TextInput(attrs={"data-tag-field": "", "list": "known-tags"}),
    )

    class Meta:
        model = SlaPolicy
        fields = (
            "name",
            "active",
            "calendar",
            "warn_before_minutes",
            "match_priorities",
            "match_channels",
            "match_types",
            "match_teams",
            "match_organisations",
        )
        labels = {
            "match_types": gettext_lazy("Ticket type is"),
            "match_teams": gettext_lazy("Team is"),
            "match_organisations": gettext_lazy("Organisation is"),
        }
        widgets = {
            "match_types": forms.CheckboxSelectMultiple,
            "match_teams": forms.CheckboxSelectMultiple,
            "match_organisations": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["calendar"].empty_label = None  # type: ignore[attr-defined]
        self.fields["tags"].initial = ", ".join(self.instance.match_tags or [])
        self.old_targets = dict(self.instance.targets or {})
        self.old_tags = list(self.instance.match_tags or [])
        for priority in PRIORITIES:
            minutes_by_kind = self.old_targets.get(priority) or {}
            for kind in TARGET_KINDS:
                total = minutes_by_kind.get(kind)
                self.fields[_name(priority, kind, "h")] = forms.IntegerField(
                    required=False,
                    min_value=0,
                    max_value=MAX_HOURS,
                    initial=total // 60 if total else None,
                    widget=forms.NumberInput(attrs={"class": "hours", "placeholder": "–"}),
                )
                self.fields[_name(priority, kind, "m")] = forms.IntegerField(
                    required=False,
                    min_value=0,
                    max_value=59,
                    initial=(total % 60) or None if total else None,
                    widget=forms.NumberInput(attrs={"class": "minutes", "placeholder": "–"}),
                )
                for unit in ("h", "m"):
                    self.fields[_name(priority, kind, unit)].error_messages.update(
                        {
                            "max_value": _("Minutes go from 0 to 59: write 1 h 30 min, not 90 min.")
                            if unit == "m"
                            else _("At most %(max)d hours.") % {"max": MAX_HOURS},
                            "min_value": _("Write a number of hours and minutes, not less than 0."),
                            "invalid": _("Write whole numbers of hours and minutes."),
                        }
                    )

    def target_rows(self) -> list[dict[str, Any]]:
        """The targets grid for the template: a row per priority, a cell per kind."""
        return [
            {
                "label": Priority(priority).label,
                "cells": [
                    {
                        "kind": TARGET_LABELS[kind],
                        "hours": self[_name(priority, kind, "h")],
                        "minutes": self[_name(priority, kind, "m")],
                    }
                    for kind in TARGET_KINDS
                ],
            }
            for priority in PRIORITIES
        ]

    def target_kinds(self) -> list[Any]:
        return [TARGET_LABELS[kind] for kind in TARGET_KINDS]

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data.get("tags") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        targets: dict[str, dict[str, int]] = {}
        for priority in PRIORITIES:
            for kind in TARGET_KINDS:
                hours = data.get(_name(priority, kind, "h")) or 0
                minutes = data.get(_name(priority, kind, "m")) or 0
                if hours * 60 + minutes:
                    targets.setdefault(priority, {})[kind] = hours * 60 + minutes
        has_target_errors = any(name.startswith("t_") for name in self.errors)
        if not targets and not has_target_errors:
            self.add_error(None, _("Give at least one target, e.g. a first reply within 8 hours."))
        self.instance.targets = targets
        self.instance.match_tags = data.get("tags") or []
        return data

    def log_changes(self, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
        """Conditions as the form logs them; targets and tags as one entry each."""
        for name in list(changes):
            if name.startswith("t_"):
                del changes[name]
        if self.old_targets != self.instance.targets:
            changes["targets"] = [self.old_targets, self.instance.targets]
        changes.pop("tags", None)
        if self.old_tags != self.instance.match_tags:
            changes["match_tags"] = [self.old_tags, self.instance.match_tags]
        return changes
