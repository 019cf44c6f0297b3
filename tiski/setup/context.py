"""The Settings nav for every page that extends setup/base.html."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .sections import current, grouped


def settings_nav(request: HttpRequest) -> dict[str, Any]:
    match = getattr(request, "resolver_match", None)
    if match is None or not match.view_name.startswith(("setup:", "rules:")):
        return {}
    return {"section_groups": grouped(), "current_section": current(match.view_name)}
