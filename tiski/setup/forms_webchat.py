"""The chat widget form: allowed origins one per line, each a bare scheme://host[:port]."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from tiski.connectors.webchat.models import ChatWidget


class ChatWidgetForm(forms.ModelForm):
    origins = forms.CharField(
        label=_("Allowed sites"),
        help_text=_("One per line, e.g. https://www.example.fi. Other sites cannot open the chat."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = ChatWidget
        fields = (
            "name",
            "default_team",
            "default_type",
            "greeting_fi",
            "greeting_en",
            "greeting_sv",
            "offline_message",
            "calendar",
            "active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["origins"] = "\n".join(self.instance.allowed_origins or [])

    def clean_origins(self) -> list[str]:
        origins: list[str] = []
        for line in self.cleaned_data["origins"].splitlines():
            value = line.strip().rstrip("/")
            if not value:
                continue
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
                raise forms.ValidationError(
                    _("“%(value)s” is not a site address. Write it like https://www.example.fi.")
                    % {"value": value}
                )
            origins.append(f"{parts.scheme}://{parts.netloc}".lower())
        return origins

    def save(self, commit: bool = True) -> ChatWidget:
        self.instance.allowed_origins = self.cleaned_data["origins"]
        return super().save(commit=commit)
