"""Settings → Ticket fields: the definition form and its options editor."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tiski.tickets.models import FieldKind, TicketField, TicketType

KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def parse_options(text: str) -> list[dict[str, str]]:
    """One option a line: ``value | Finnish label | English label`` (labels
    default to the value). Raises ValidationError naming the line at fault."""
    options: list[dict[str, str]] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        value = parts[0]
        if not value or len(parts) > 3 or len(value) > 100:
            raise ValidationError(
                _("Line %(line)d: write value | Finnish label | English label.") % {"line": number}
            )
        if value.casefold() in seen:
            raise ValidationError(
                _("Line %(line)d: the value “%(value)s” is already an option.")
                % {"line": number, "value": value}
            )
        seen.add(value.casefold())
        label_fi = parts[1] if len(parts) > 1 and parts[1] else value
        label_en = parts[2] if len(parts) > 2 and parts[2] else label_fi
        options.append({"value": value, "label_fi": label_fi, "label_en": label_en})
    return options


def options_text(options: list[dict[str, str]]) -> str:
    return "\n".join(f"{o['value']} | {o['label_fi']} | {o['label_en']}" for o in options)


class TicketFieldForm(forms.ModelForm):
    key = forms.CharField(
        label=_("Key"),
        max_length=32,
        help_text=_(
            "Lowercase letters, digits and _; used in search (field:key:value) and the API. "
            "It cannot be changed later."
        ),
    )
    options_text = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Choice fields: one option a line, value | Finnish label | English label. "
            "The value is what search and rules use; keep it when you rename the labels."
        ),
    )

    class Meta:
        model = TicketField
        fields = [
            "label_fi",
            "label_en",
            "key",
            "kind",
            "options_text",
            "all_types",
            "ticket_types",
            "required_on_solve",
            "customer_visible",
            "required_in_form",
            "active",
        ]
        widgets = {"ticket_types": forms.CheckboxSelectMultiple}
        help_texts = {
            "all_types": _("Otherwise only on the ticket types chosen below."),
            "required_on_solve": _("Agents cannot solve a ticket while the field is empty."),
            "customer_visible": _(
                "Shown in the web form and on the customer's requests in the portal."
            ),
            "required_in_form": _("Customers must fill it in the web form."),
            "active": _("Inactive fields keep their values on tickets but are not shown."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ticket_types"].queryset = TicketType.objects.filter(active=True)
        self.fields["ticket_types"].required = False
        if self.instance.pk:
            self.fields["options_text"].initial = options_text(self.instance.options)
            # Stored values and searches depend on both.
            self.fields["key"].disabled = True
            self.fields["kind"].disabled = True

    def clean_key(self) -> str:
        key = (self.cleaned_data.get("key") or "").strip()
        if not self.instance.pk and not KEY.match(key):
            raise ValidationError(
                _("Start with a letter; use lowercase letters, digits and _ (at most 32).")
            )
        if not self.instance.pk and TicketField.objects.filter(key=key).exists():
            raise ValidationError(_("Another field already has the key “%(key)s”.") % {"key": key})
        return key

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        options: list[dict[str, str]] = []
        try:
            options = parse_options(data.get("options_text") or "")
        except ValidationError as error:
            self.add_error("options_text", error)
        kind = data.get("kind") or self.instance.kind
        if kind == FieldKind.CHOICE and not options and "options_text" not in self.errors:
            self.add_error("options_text", _("A choice field needs at least one option."))
        if kind == FieldKind.CHOICE and self.instance.pk:
            kept = {o["value"] for o in options}
            used = set(self.instance.values.values_list("value", flat=True))
            if used - kept:
                self.add_error(
                    "options_text",
                    _("Tickets still use %(values)s: keep these options or deactivate the field.")
                    % {"values": ", ".join(sorted(used - kept))},
                )
        self.instance.options = options if kind == FieldKind.CHOICE else []
        if not data.get("all_types") and not data.get("ticket_types"):
            self.add_error("ticket_types", _("Choose the ticket types, or all types."))
        if data.get("required_in_form") and not data.get("customer_visible"):
            self.add_error(
                "required_in_form", _("Only a field shown to customers can be required there.")
            )
        return data
