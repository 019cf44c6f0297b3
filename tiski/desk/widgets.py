"""A select written in Python, with the markup of Django's own templates.

Django renders every ``<option>`` through two template includes, after
building a dictionary per option (``optgroups`` / ``create_option``); the
bulk bar and the ticket page's side panel offer every agent, team and type
in selects, so on a large desk that work is a real share of the page.
``FastSelect`` walks the choices as ``ChoiceWidget.optgroups`` walks them
and writes what ``django/forms/widgets/select.html``, ``select_option.html``
and ``attrs.html`` write (tests/desk/test_page_queries.py compares the two).
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from html import escape as _html_escape
from typing import Any

from django import forms
from django.utils.safestring import SafeString, mark_safe


def escape_value(value: Any) -> str:
    """Django's ``conditional_escape`` without its lazy-string wrapper: safe
    strings as they are, anything else through ``html.escape``, as Django's
    ``escape`` does."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return _html_escape(str(value))


def _attrs(attrs: dict[str, Any]) -> str:
    return "".join(
        f" {escape_value(name)}"
        if value is True
        else f' {escape_value(name)}="{escape_value(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None) -> SafeString:  # noqa: ANN001
        widget_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            widget_attrs["multiple"] = True
        values = self.format_value(value)
        parts = [f'<select name="{escape_value(name)}"{_attrs(widget_attrs)}>']
        has_selected = False
        for option_value, option_label in self.choices:
            if option_value is None:
                option_value = ""
            if isinstance(option_label, (list, tuple)):
                group_name, choices = option_value, option_label
                if group_name:
                    parts.append(f'\n  <optgroup label="{escape_value(group_name)}">')
            else:
                group_name, choices = None, [(option_value, option_label)]
            for subvalue, sublabel in choices:
                selected = (not has_selected or self.allow_multiple_selected) and str(
                    subvalue
                ) in values
                has_selected |= selected
                parts.append(
                    f'\n  <option value="{escape_value(str(subvalue))}"'
                    f"{' selected' if selected else ''}>{escape_value(sublabel)}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above


def filter_options(choices: Iterable[tuple[Any, Any]], selected: Container[str]) -> SafeString:
    """The inbox filter form's ``<option>`` tags, as its template loops wrote them.

    ``<option value="v" selected>label</option>`` for a value in ``selected``,
    ``<option value="v" >label</option>`` (the loop's space kept) otherwise.
    Forty agents, the teams and types in six selects were a real share of the
    inbox's template time: a lookup, a filter and an ``{% if %}`` per option.
    """
    return mark_safe(  # noqa: S308 - every value and label is escaped here
        "".join(
            f'<option value="{escape_value(value)}" '
            f"{'selected' if value in selected else ''}>{escape_value(label)}</option>"
            for value, label in choices
        )
    )
