"""A select written in Python, with the markup of Django's own templates.

Django renders every ``<option>`` through two template includes; the bulk
bar and the ticket page's side panel offer every agent, team and type in
selects, so on a large desk those includes are a real share of the page.
``FastSelect`` writes what ``django/forms/widgets/select.html``,
``select_option.html`` and ``attrs.html`` write, from the same context.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict[str, Any]) -> SafeString:
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def _option(option: dict[str, Any]) -> SafeString:
    return format_html(
        '\n  <option value="{}"{}>{}</option>\n',
        str(option["value"]),
        _attrs(option["attrs"]),
        option["label"],
    )


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None) -> SafeString:  # noqa: ANN001
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            parts.extend(_option(option) for option in group_choices)
            if group_name:
                parts.append(mark_safe("\n  </optgroup>"))  # noqa: S308 - a constant
        parts.append(mark_safe("\n</select>"))  # noqa: S308 - a constant
        return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above
