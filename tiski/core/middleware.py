"""Every request sees the desk's settings: its time zone for dates shown."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from . import desk


class DeskSettingsMiddleware:
    """`request.desk_settings`, read at most once per request, and times shown
    in the desk's time zone for people who are logged in.

    Anonymous requests (webhooks, health checks, the login page) show no
    times and skip the read.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.desk_settings = SimpleLazyObject(desk.current)  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        with timezone.override(desk.time_zone_name(request.desk_settings)):  # type: ignore[attr-defined]
            return self.get_response(request)
