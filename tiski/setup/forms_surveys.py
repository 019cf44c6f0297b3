"""The form of Settings -> Surveys: switches, texts per language, days."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tiski.core.placeholders import ALLOWED_PLACEHOLDERS, unknown_placeholders
from tiski.surveys.models import DEFAULT_TEXTS, SurveySettings
from tiski.worktime.models import WorktimeSettings

TEXT_FIELDS = [
    f"{kind}_{part}_{language}"
    for kind in ("csat", "nps")
    for part in ("subject", "question")
    for language in ("fi", "en")
]


class SurveySettingsForm(forms.ModelForm):
    class Meta:
        model = SurveySettings
        fields = [
            "csat_enabled",
            "nps_enabled",
            *TEXT_FIELDS,
            "link_days",
            "change_days",
            "csat_cooldown_days",
            "nps_cooldown_days",
            "nps_interval_days",
        ]
        help_texts = {
            "csat_enabled": _(
                "Sent by the trigger “Kysy tyytyväisyyttä, kun tiketti ratkaistaan”; "
                "edit or switch it in Triggers."
            ),
            "nps_enabled": _(
                "Sent in rounds to contacts who had a ticket solved since the last round."
            ),
            "change_days": _("After the first answer, the customer can change it for this long."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An empty text means the default: show it as the placeholder.
        for name in TEXT_FIELDS:
            kind, part, language = name.split("_")
            field = self.fields[name]
            field.widget.attrs["placeholder"] = DEFAULT_TEXTS[f"{kind}_{part}"][language]
            field.help_text = _("Empty: the text shown greyed.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in TEXT_FIELDS:
            unknown = unknown_placeholders(data.get(name) or "")
            if unknown:
                self.add_error(
                    name,
                    ValidationError(
                        _("Unknown placeholders %(names)s; allowed: %(allowed)s"),
                        params={
                            "names": ", ".join("{{ " + n + " }}" for n in unknown),
                            "allowed": ", ".join("{{ " + n + " }}" for n in ALLOWED_PLACEHOLDERS),
                        },
                    ),
                )
        return data


class WorktimeSettingsForm(forms.ModelForm):
    """The handling-time switch, on the same page (reports' own settings)."""

    prefix = "worktime"

    class Meta:
        model = WorktimeSettings
        fields = ["tracking_enabled"]
