"""The phone line form: the number in E.164, the click-to-call secret write-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from tiski.connectors.phone.models import PhoneLine
from tiski.connectors.phone.numbers import to_e164

MASK = "••••••"


class PhoneLineForm(forms.ModelForm):
    click_to_call_url = forms.URLField(
        label=capfirst(PhoneLine._meta.get_field("click_to_call_url").verbose_name),
        help_text=PhoneLine._meta.get_field("click_to_call_url").help_text,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = PhoneLine
        fields = (
            "name",
            "number",
            "team",
            "active",
            "callback_sms",
            "click_to_call_url",
            "click_to_call_secret",
        )
        widgets = {
            "click_to_call_secret": forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "new-password"}
            )
        }
        help_texts = {"number": _("The number customers call, e.g. +358 9 123 4567.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.old_secret = self.instance.click_to_call_secret if self.instance.pk else ""
        if self.old_secret:
            self.fields["click_to_call_secret"].help_text = _(
                "Saved. Leave empty to keep it, or type a new one to replace it."
            )

    def clean_number(self) -> str:
        raw = self.cleaned_data["number"]
        number = to_e164(raw)
        if number is None:
            raise forms.ValidationError(
                _("“%(raw)s” is not a phone number. Write it like +358 9 123 4567.") % {"raw": raw}
            )
        taken = PhoneLine.objects.filter(number=number).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("%(number)s is already the line “%(name)s”.")
                % {"number": number, "name": taken.first().name}  # type: ignore[union-attr]
            )
        return number

    def clean_click_to_call_secret(self) -> str:
        # Browsers never get the stored secret to send back: empty means "keep".
        return self.cleaned_data.get("click_to_call_secret") or self.old_secret

    def log_changes(self, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
        new = self.cleaned_data.get("click_to_call_secret") or ""
        if new != self.old_secret:
            changes["click_to_call_secret"] = [MASK if self.old_secret else "", MASK if new else ""]
        else:
            changes.pop("click_to_call_secret", None)
        return changes
