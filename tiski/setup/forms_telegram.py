"""The Telegram bot form: the token and secret token write-only (or env:NAME)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiski.connectors.telegram.models import TelegramBot, new_secret_token

MASK = "••••••"
SECRETS = ("bot_token", "secret_token")


class TelegramBotForm(forms.ModelForm):
    class Meta:
        model = TelegramBot
        fields = (
            "name", "username", "bot_token", "secret_token", "api_url",
            "default_team", "default_type", "active",
        )  # fmt: skip
        widgets = {
            name: forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            for name in SECRETS
        }
        help_texts = {
            "bot_token": _(
                "The token BotFather gave, or env:NAME to read it from the environment."
            ),
            "secret_token": _("Leave empty to have one made; Telegram sends it with every update."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.old = {
            name: (getattr(self.instance, name) or "") if self.instance.pk else ""
            for name in SECRETS
        }
        for name in SECRETS:
            self.fields[name].required = False
            self.fields[name].show_hidden_initial = False
            if self.old[name]:
                self.fields[name].help_text = _(
                    "Saved. Leave empty to keep it, or type a new one to replace it."
                )

    def clean_bot_token(self) -> str:
        token = self.cleaned_data.get("bot_token") or self.old["bot_token"]
        if not token:
            raise forms.ValidationError(_("The bot token is needed."))
        return token

    def clean_secret_token(self) -> str:
        value = self.cleaned_data.get("secret_token") or self.old["secret_token"]
        if value and not all(c.isalnum() or c in "_-" for c in value):
            raise forms.ValidationError(_("Only letters A–Z, digits, _ and - are allowed."))
        return value or new_secret_token()

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lstrip("@")

    def log_changes(self, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for name in SECRETS:
            new = self.cleaned_data.get(name) or ""
            if new != self.old[name]:
                changes[name] = [MASK if self.old[name] else "", MASK if new else ""]
            else:
                changes.pop(name, None)
        return changes
