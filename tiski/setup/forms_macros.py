"""The ready answer editor's form: texts, tags as a tag field, the ticket changes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiski.accounts.models import User
from tiski.macros.models import Macro
from tiski.tickets.models import Tag


def split_tags(text: str) -> list[str]:
    """ "Lasku, toimitus  myöhässä" -> ["lasku", "toimitus-myöhässä"], each once, in order."""
    tags: list[str] = []
    for part in (text or "").split(","):
        name = Tag.normalise(part)
        if name and name not in tags:
            tags.append(name)
    return tags


class MacroForm(forms.ModelForm):
    tags = forms.CharField(
        label=_("Then add tags"),
        required=False,
        help_text=_("Separate tags with commas."),
        widget=forms.TextInput(attrs={"data-tag-field": "", "list": "known-tags"}),
    )

    class Meta:
        model = Macro
        fields = (
            "name",
            "shortcut",
            "owner",
            "active",
            "text_fi",
            "text_en",
            "set_status",
            "set_priority",
            "set_team",
        )
        widgets = {
            "text_fi": forms.Textarea(attrs={"rows": 8, "data-placeholder-target": ""}),
            "text_en": forms.Textarea(attrs={"rows": 8, "data-placeholder-target": ""}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        owner.queryset = User.objects.filter(is_active=True).order_by("name", "email")  # type: ignore[attr-defined]
        owner.empty_label = _("Shared with everyone")  # type: ignore[attr-defined]
        self.fields["tags"].initial = ", ".join(self.instance.add_tags or [])
        self.fields["set_status"].help_text = _("Empty: the status stays as the agent sets it.")

    def clean_shortcut(self) -> str:
        return self.cleaned_data["shortcut"].lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        shortcut = data.get("shortcut")
        if shortcut and "owner" not in self.errors:
            # The database lets shared answers (no owner) share a shortcut; the desk can't.
            clash = (
                Macro.objects.filter(shortcut=shortcut, owner=data.get("owner"))
                .exclude(pk=self.instance.pk)
                .first()
            )
            if clash is not None:
                self.add_error(
                    "shortcut",
                    _("The shortcut ;%(shortcut)s is already used by “%(name)s”. Choose another.")
                    % {"shortcut": shortcut, "name": clash.name},
                )
        return data

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data.get("tags") or "")

    def save(self, commit: bool = True) -> Macro:
        self.instance.add_tags = self.cleaned_data["tags"]
        return super().save(commit)

    def log_changes(self, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
        # The tags field starts as text; log both sides as lists.
        if "tags" in changes:
            old = list(self.instance.add_tags or []) if self.instance.pk else []
            if old == self.cleaned_data["tags"]:
                changes.pop("tags")
            else:
                changes["tags"] = [old, self.cleaned_data["tags"]]
        return changes
