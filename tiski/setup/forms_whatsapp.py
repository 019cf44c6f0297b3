"""The WhatsApp number and template forms: secrets write-only (or env:NAME)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiski.connectors.whatsapp.models import WhatsAppAccount, WhatsAppTemplate
from tiski.customers.phones import to_e164

from .forms_secrets import SecretFieldsMixin, secret_widgets

SECRETS = ("access_token", "app_secret")
_VARIABLE = re.compile(r"\{\{(\d+)\}\}")


class WhatsAppAccountForm(SecretFieldsMixin, forms.ModelForm):
    SECRETS = SECRETS

    class Meta:
        model = WhatsAppAccount
        fields = (
            "name", "number", "phone_number_id", "access_token", "app_secret",
            "verify_token", "api_url", "default_team", "default_type", "active",
        )  # fmt: skip
        widgets = secret_widgets(SECRETS)
        help_texts = {
            "access_token": _("A system user's token from Meta, or env:NAME."),
            "app_secret": _("The app's secret: it signs every webhook (X-Hub-Signature-256)."),
        }

    def clean_number(self) -> str:
        number = to_e164(self.cleaned_data["number"])
        if number is None:
            raise forms.ValidationError(_("That is not a phone number."))
        return number


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
