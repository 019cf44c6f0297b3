"""Mailbox secrets in forms: write-only, the same in the admin and in Settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Mailbox

SECRET_FIELDS = (
    "imap_password",
    "smtp_password",
    "esp_api_key",
    "webhook_secret",
    "oauth_client_secret",
)


def secret_widgets() -> dict[str, forms.Widget]:
    """Password boxes that never render the stored value back."""
    return {
        name: forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
        for name in SECRET_FIELDS
    }


class MailboxSecretsForm(forms.ModelForm):
    """A mailbox form whose secrets are write-only: never shown, kept when left empty,
    forgotten only when ticked in `clear_secrets`."""

    clear_secrets = forms.MultipleChoiceField(
        label=_("Forget stored secrets"),
        required=False,
        choices=[(name, Mailbox._meta.get_field(name).verbose_name) for name in SECRET_FIELDS],
        widget=forms.CheckboxSelectMultiple,
    )
    stored_help = _("Saved. Leave empty to keep it, or type a new one to replace it.")
    empty_help = _("Stored encrypted. env:NAME reads it from the environment instead.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read before a POST may overwrite the instance.
        self.old_secrets = {
            name: (getattr(self.instance, name) if self.instance.pk else "")
            for name in SECRET_FIELDS
        }
        for name in SECRET_FIELDS:
            self.fields[name].help_text = (
                self.stored_help if self.old_secrets[name] else self.empty_help
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        to_clear = set(data.get("clear_secrets") or ())
        for name in SECRET_FIELDS:
            if name in to_clear:
                data[name] = ""
            elif not data.get(name) and self.instance.pk:
                # Browsers never get the stored secret to send back: empty means "keep".
                data[name] = self.old_secrets[name]
        return data
