"""`tiski check`: every search text source named in settings must import."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string


@register()
def check_text_sources(app_configs, **kwargs) -> list[Error]:
    errors = []
    for path in getattr(settings, "TISKI_SEARCH_TEXT_SOURCES", []):
        try:
            import_string(path)
        except ImportError as exc:
            errors.append(
                Error(f"TISKI_SEARCH_TEXT_SOURCES names {path!r}: {exc}", id="tiski.E010")
            )
    return errors
