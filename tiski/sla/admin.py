"""Admin pages for calendars and SLA policies: plain fields, no JSON typing."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tiski.tickets.models import Channel, Priority

from .models import (
    PRIORITIES,
    TARGET_KINDS,
    WEEKDAYS,
    Calendar,
    SlaPolicy,
    format_intervals,
    parse_intervals,
)

TARGET_LABELS = {
    "first_reply": _("first reply"),
    "next_reply": _("next reply"),
    "resolution": _("resolution"),
}


class _CalendarForm(forms.ModelForm):
    closed_text = forms.CharField(
        label=_("Extra closed days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One date per line, e.g. 2026-12-31."),
    )
    open_text = forms.CharField(
        label=_("Extra or changed open days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: a date and its hours, e.g. 2026-12-23 09:00-12:00."),
    )

    class Meta:
        model = Calendar
        fields = ("name", "time_zone", "country", "subdivision", "is_default")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        weekly = self.instance.weekly_hours or {}
        for day, label in WEEKDAYS:
            self.fields[f"day_{day}"] = forms.CharField(
                label=label,
                required=False,
                initial=weekly.get(str(day), ""),
                help_text=_("e.g. 8:00-16:00 or 8-11, 12-16; empty = closed") if day == 0 else "",
            )
        self.fields["closed_text"].initial = "\n".join(self.instance.closed_dates or [])
        self.fields["open_text"].initial = "\n".join(
            f"{d} {text}" for d, text in (self.instance.open_dates or {}).items()
        )

    def clean(self):
        data = super().clean()
        weekly = {}
        for day, _label in WEEKDAYS:
            text = (data.get(f"day_{day}") or "").strip()
            if text:
                try:
                    weekly[str(day)] = format_intervals(parse_intervals(text))
                except ValidationError as exc:
                    self.add_error(f"day_{day}", exc)
        closed = []
        for line in filter(None, (ln.strip() for ln in data.get("closed_text", "").splitlines())):
            try:
                closed.append(date.fromisoformat(line).isoformat())
            except ValueError:
                self.add_error(
                    "closed_text", _("“%(v)s” is not a date (YYYY-MM-DD).") % {"v": line}
                )
        opened = {}
        for line in filter(None, (ln.strip() for ln in data.get("open_text", "").splitlines())):
            day, _sep, hours = line.partition(" ")
            try:
                opened[date.fromisoformat(day).isoformat()] = format_intervals(
                    parse_intervals(hours)
                )
            except (ValueError, ValidationError):
                self.add_error(
                    "open_text", _("Write “2026-12-23 09:00-12:00”, not “%(v)s”.") % {"v": line}
                )
        self.instance.weekly_hours = weekly
        self.instance.closed_dates = closed
        self.instance.open_dates = opened
        return data


# The admin only shows fields the form class declares, so the per-weekday
# fields are added to the class itself.
CalendarForm = type(
    "CalendarForm",
    (_CalendarForm,),
    {
        f"day_{day}": forms.CharField(
            label=label,
            required=False,
            help_text=_("e.g. 8:00-16:00 or 8-11, 12-16; empty = closed") if day == 0 else "",
        )
        for day, label in WEEKDAYS
    },
)


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    form = CalendarForm
    list_display = ("name", "time_zone", "country", "is_default")

    def get_fields(self, request, obj=None):
        return [
            "name",
            "time_zone",
            "country",
            "subdivision",
            "is_default",
            *[f"day_{d}" for d, _label in WEEKDAYS],
            "closed_text",
            "open_text",
        ]


class _SlaPolicyForm(forms.ModelForm):
    match_priorities = forms.MultipleChoiceField(
        label=_("Priorities"),
        choices=Priority.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any."),
    )
    match_channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any."),
    )
    tags_text = forms.CharField(
        label=_("Tags (any of)"),
        required=False,
        help_text=_("Separate tags with commas; empty: any."),
    )

    class Meta:
        model = SlaPolicy
        fields = (
            "name",
            "position",
            "active",
            "calendar",
            "match_priorities",
            "match_channels",
            "match_types",
            "match_teams",
            "match_organisations",
            "warn_before_minutes",
        )
        widgets = {
            "match_types": forms.CheckboxSelectMultiple,
            "match_teams": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags_text"].initial = ", ".join(self.instance.match_tags or [])
        targets = self.instance.targets or {}
        for priority in PRIORITIES:
            for kind in TARGET_KINDS:
                self.fields[f"t_{priority}_{kind}"] = forms.IntegerField(
                    label=f"{Priority(priority).label}: {TARGET_LABELS[kind]}",
                    required=False,
                    min_value=1,
                    initial=(targets.get(priority) or {}).get(kind),
                    help_text=_("minutes of business time; empty: no target"),
                )

    def clean(self):
        data = super().clean()
        self.instance.match_tags = [
            t.strip().lower() for t in (data.get("tags_text") or "").split(",") if t.strip()
        ]
        self.instance.targets = {
            priority: {
                kind: data.get(f"t_{priority}_{kind}")
                for kind in TARGET_KINDS
                if data.get(f"t_{priority}_{kind}")
            }
            for priority in PRIORITIES
        }
        return data


SlaPolicyForm = type(
    "SlaPolicyForm",
    (_SlaPolicyForm,),
    {
        f"t_{priority}_{kind}": forms.IntegerField(
            label=format_lazy("{}: {}", Priority(priority).label, TARGET_LABELS[kind]),
            required=False,
            min_value=1,
            help_text=_("minutes of business time; empty: no target"),
        )
        for priority in PRIORITIES
        for kind in TARGET_KINDS
    },
)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyForm
    list_display = ("name", "position", "active", "calendar")
    list_editable = ("position", "active")
    filter_horizontal = ()

    def get_fields(self, request, obj=None):
        return [
            "name",
            "position",
            "active",
            "calendar",
            "match_priorities",
            "match_channels",
            "match_types",
            "match_teams",
            "match_organisations",
            "tags_text",
            "warn_before_minutes",
            *[f"t_{p}_{k}" for p in PRIORITIES for k in TARGET_KINDS],
        ]
