"""`tiski check`: every ticket-change handler named in settings must import (the live ones too)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string


@register()
def check_change_handlers(app_configs, **kwargs) -> list[Error]:
    errors = []
    for name in ("TISKI_TICKET_CHANGE_HANDLERS", "TISKI_TICKET_CHANGE_LIVE_HANDLERS"):
        for path in getattr(settings, name, []):
            try:
                import_string(path)
            except ImportError as exc:
                errors.append(Error(f"{name} names {path!r}: {exc}", id="tiski.E001"))
    return errors
