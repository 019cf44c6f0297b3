"""``{% filter_options choices selected %}``: the inbox filter form's options
(desk/widgets.py ``filter_options``)."""

from __future__ import annotations

from collections.abc import Container, Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString

from ..widgets import filter_options as _filter_options

register = template.Library()


@register.simple_tag
def filter_options(
    choices: Iterable[tuple[Any, Any]], selected: Container[str] | str
) -> SafeString:
    """The options; ``selected`` is the chosen values, or the one chosen value (the sort)."""
    return _filter_options(choices, (selected,) if isinstance(selected, str) else selected)
