"""The SMS number form: the number in E.164, secrets write-only (or env:NAME)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiski.connectors.sms.models import SmsAccount
from tiski.customers.phones import to_e164

MASK = "••••••"
SECRETS = ("api_token", "webhook_secret")


class SmsAccountForm(forms.ModelForm):
    class Meta:
        model = SmsAccount
        fields = (
            "name",
            "number",
            "provider",
            "api_url",
            "account_sid",
            "api_token",
            "webhook_secret",
            "default_team",
            "default_type",
            "active",
        )
        widgets = {
            name: forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            for name in SECRETS
        }
        help_texts = {
            "api_token": _(
                "Generic: sent as Authorization: Bearer. Twilio: the auth token. "
                "Or env:NAME to read it from the environment."
            ),
            "webhook_secret": _(
                "Generic: the key of the X-Tiski-Signature HMAC-SHA256 on the webhooks."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A new account has no secrets yet (the model's generated default is
        # never shown, so the admin types the one the provider signs with).
        self.old = {
            name: (getattr(self.instance, name) or "") if self.instance.pk else ""
            for name in SECRETS
        }
        for name in SECRETS:
            self.fields[name].required = False
            # The callable default would otherwise be echoed in a hidden input.
            self.fields[name].show_hidden_initial = False
            if self.old[name]:
                self.fields[name].help_text = _(
                    "Saved. Leave empty to keep it, or type a new one to replace it."
                )

    def clean_number(self) -> str:
        raw = self.cleaned_data["number"]
        number = to_e164(raw)
        if number is None:
            raise forms.ValidationError(
                _("“%(raw)s” is not a phone number. Write it like +358 40 123 4567.") % {"raw": raw}
            )
        if SmsAccount.objects.filter(number=number).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This number is already set up."))
        return number

    def clean_api_token(self) -> str:
        return self.cleaned_data.get("api_token") or self.old["api_token"]

    def clean_webhook_secret(self) -> str:
        return self.cleaned_data.get("webhook_secret") or self.old["webhook_secret"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("provider") == "twilio" and not data.get("account_sid"):
            self.add_error("account_sid", _("Twilio needs the account SID."))
        if data.get("provider") == "http_json" and not data.get("api_url"):
            self.add_error("api_url", _("The generic provider needs the API address."))
        if data.get("provider") == "http_json" and not data.get("webhook_secret"):
            self.add_error("webhook_secret", _("The generic provider needs the webhook secret."))
        return data

    def log_changes(self, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for name in SECRETS:
            new = self.cleaned_data.get(name) or ""
            if new != self.old[name]:
                changes[name] = [MASK if self.old[name] else "", MASK if new else ""]
            else:
                changes.pop(name, None)
        return changes


class TestSendForm(forms.Form):
    to = forms.CharField(label=_("Send a test SMS to"), max_length=40)

    def clean_to(self) -> str:
        number = to_e164(self.cleaned_data["to"])
        if number is None:
            raise forms.ValidationError(_("That is not a phone number."))
        return number
