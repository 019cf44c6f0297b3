"""Every request sees the desk's settings: its time zone for dates shown."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from . import desk


class DeskSettingsMiddleware:
    """Loads the desk settings once per request (`request.desk_settings`) and
    shows times in the desk's time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        row = desk.current()
        request.desk_settings = row  # type: ignore[attr-defined]
        with timezone.override(desk.time_zone_name(row)):
            return self.get_response(request)
