"""`tiski check`: every ticket-change handler named in settings must import."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string


@register()
def check_change_handlers(app_configs, **kwargs) -> list[Error]:
    errors = []
    for path in getattr(settings, "TISKI_TICKET_CHANGE_HANDLERS", []):
        try:
            import_string(path)
        except ImportError as exc:
            errors.append(
                Error(f"TISKI_TICKET_CHANGE_HANDLERS names {path!r}: {exc}", id="tiski.E001")
            )
    return errors
