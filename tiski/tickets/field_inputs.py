"""Form inputs for custom ticket fields, shared by the desk's side panel and
the public web form.

The inputs only shape what people type (a date picker, a list of options);
the values are validated by `custom_fields.clean_value` inside the action,
so the desk, the web form, the API and imports accept exactly the same.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import FieldKind, TicketField

PREFIX = "cf_"


def custom_field_name(field: TicketField) -> str:
    return PREFIX + field.key


def custom_form_field(field: TicketField, *, required: bool = False) -> forms.Field:
    """An optional input (``required``: the web form's required fields) for a field."""
    common = {"label": field.label, "required": required}
    if field.kind == FieldKind.CHECKBOX:
        return forms.BooleanField(**common)
    if field.kind == FieldKind.CHOICE:
        english = (get_language() or "fi").startswith("en")
        options = [
            (o["value"], o.get("label_en" if english else "label_fi") or o["value"])
            for o in field.options
        ]
        return forms.ChoiceField(choices=[("", _("— Not chosen —")), *options], **common)
    widgets = {
        FieldKind.LONG_TEXT: forms.Textarea(attrs={"rows": 3}),
        FieldKind.NUMBER: forms.TextInput(attrs={"inputmode": "numeric"}),
        FieldKind.DECIMAL: forms.TextInput(attrs={"inputmode": "decimal"}),
        FieldKind.DATE: forms.DateInput(attrs={"type": "date"}),
    }
    return forms.CharField(widget=widgets.get(field.kind, forms.TextInput()), **common)


def initial_value(field: TicketField, value: str) -> object:
    """A stored value as its input shows it (a ticked box, an ISO date)."""
    if field.kind == FieldKind.CHECKBOX:
        return value == "true"
    return value
