"""The WhatsApp number and template forms: secrets write-only (or env:NAME)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiski.connectors.whatsapp.models import WhatsAppAccount, WhatsAppTemplate
from tiski.customers.phones import to_e164

MASK = "••••••"
SECRETS = ("access_token", "app_secret")
_VARIABLE = re.compile(r"\{\{(\d+)\}\}")


class WhatsAppAccountForm(forms.ModelForm):
    class Meta:
        model = WhatsAppAccount
        fields = (
            "name", "number", "phone_number_id", "access_token", "app_secret",
            "verify_token", "api_url", "default_team", "default_type", "active",
        )  # fmt: skip
        widgets = {
            name: forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            for name in SECRETS
        }
        help_texts = {
            "access_token": _("A system user's token from Meta, or env:NAME."),
            "app_secret": _("The app's secret: it signs every webhook (X-Hub-Signature-256)."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.old = {
            name: (getattr(self.instance, name) or "") if self.instance.pk else ""
            for name in SECRETS
        }
        for name in SECRETS:
            self.fields[name].required = not self.old[name]
            if self.old[name]:
                self.fields[name].help_text = _(
                    "Saved. Leave empty to keep it, or type a new one to replace it."
                )

    def clean_number(self) -> str:
        number = to_e164(self.cleaned_data["number"])
        if number is None:
            raise forms.ValidationError(_("That is not a phone number."))
        return number

    def clean_access_token(self) -> str:
        return self.cleaned_data.get("access_token") or self.old["access_token"]

    def clean_app_secret(self) -> str:
        return self.cleaned_data.get("app_secret") or self.old["app_secret"]

    def log_changes(self, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for name in SECRETS:
            new = self.cleaned_data.get(name) or ""
            if new != self.old[name]:
                changes[name] = [MASK if self.old[name] else "", MASK if new else ""]
            else:
                changes.pop(name, None)
        return changes


class WhatsAppTemplateForm(forms.ModelForm):
    class Meta:
        model = WhatsAppTemplate
        fields = ("name", "language", "body", "active")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        numbers = sorted({int(n) for n in _VARIABLE.findall(data.get("body") or "")})
        if numbers and numbers != list(range(1, len(numbers) + 1)):
            self.add_error("body", _("Number the variables {{1}}, {{2}}… without gaps."))
        self.instance.variables = len(numbers)
        return data
