"""Request middleware shared by every view: request hygiene, and the desk's
settings (its time zone for the dates shown)."""

from __future__ import annotations

from collections.abc import Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from . import desk, request_memo


def _without_nul(query: QueryDict) -> QueryDict:
    cleaned = QueryDict(mutable=True)
    for key, values in query.lists():
        cleaned.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
    cleaned._mutable = False
    return cleaned


class DropNulFromQueryMiddleware:
    """Drop NUL characters from query parameters (``?q=a%00b``).

    PostgreSQL refuses NUL in any text it is given, so a search or filter
    with one would answer 500; no real query needs the character.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if "%00" in request.META.get("QUERY_STRING", ""):
            request.GET = _without_nul(request.GET)
        if iscoroutinefunction(self):
            return self._acall(request)
        return self.get_response(request)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        return await self.get_response(request)


class DeskSettingsMiddleware:
    """`request.desk_settings`, read at most once per request, and times shown
    in the reader's time zone for people who are logged in: their own
    (``user.time_zone``, chosen in their preferences) or else the desk's.

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
        row = request.desk_settings  # type: ignore[attr-defined]
        with (
            timezone.override(desk.user_time_zone_name(user, row)),
            request_memo.request_scope(desk.lists_version(row)),
        ):
            return self.get_response(request)
