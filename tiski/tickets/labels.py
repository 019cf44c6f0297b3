"""Priorities as the desk names them: built-in labels with admins' overrides.

Every screen that shows a priority asks here. The overrides are a handful
of rows; a web process reads them once until they change (`current`,
through core/config_cache.py) however many tickets its lists show.
"""

from __future__ import annotations

from django.utils.translation import get_language

from tiski.core.config_cache import kept

from .models import Priority, PriorityLabel


def overrides() -> dict[tuple[str, str], str]:
    """{(priority, language): label} of every stored override."""
    return {
        (row.priority, row.language): row.label
        for row in PriorityLabel.objects.only("priority", "language", "label")
    }


def current() -> dict[tuple[str, str], str]:
    """`overrides()`, kept by the web process until they change (core/config_cache.py)."""
    return kept("priority-labels", overrides)


def _language() -> str:
    return (get_language() or "fi")[:2]


def priority_label(value: str, table: dict[tuple[str, str], str] | None = None) -> str:
    """The label of a priority in the active language."""
    table = current() if table is None else table
    custom = table.get((value, _language()))
    if custom:
        return custom
    return str(Priority(value).label) if value in Priority.values else value


def priority_choices(table: dict[tuple[str, str], str] | None = None) -> list[tuple[str, str]]:
    """(value, label) pairs in rank order, for selects and filters."""
    table = current() if table is None else table
    return [(value, priority_label(value, table)) for value in Priority.values]
