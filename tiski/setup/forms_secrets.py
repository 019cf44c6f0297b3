"""Write-only secret fields for channel account forms (tokens, app secrets, env:NAME).

A saved secret is never shown again: the field is empty, says it is saved,
and an empty answer keeps it; the settings log records only that it
changed (masked), never the value.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

MASK = "••••••"


def secret_widgets(names: tuple[str, ...]) -> dict[str, forms.Widget]:
    return {
        name: forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
        for name in names
    }


class SecretFieldsMixin:
    """For a ModelForm whose ``SECRETS`` fields are write-only and needed once."""

    SECRETS: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        instance = self.instance  # type: ignore[attr-defined]
        self.old = {
            name: (getattr(instance, name) or "") if instance.pk else "" for name in self.SECRETS
        }
        for name in self.SECRETS:
            field = self.fields[name]  # type: ignore[attr-defined]
            field.required = not self.old[name]
            if self.old[name]:
                field.help_text = _(
                    "Saved. Leave empty to keep it, or type a new one to replace it."
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        for name in self.SECRETS:
            if name in data and not data[name]:
                data[name] = self.old[name]  # left empty: keep the saved one
        return data

    def log_changes(self, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for name in self.SECRETS:
            new = self.cleaned_data.get(name) or ""  # type: ignore[attr-defined]
            if new != self.old[name]:
                changes[name] = [MASK if self.old[name] else "", MASK if new else ""]
            else:
                changes.pop(name, None)
        return changes
