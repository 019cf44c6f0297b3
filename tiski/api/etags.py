"""Ticket ETags: optimistic concurrency for updates through the API.

Every action that changes a ticket moves its ``updated_at`` forward, so the
pair (id, updated_at) names one version of a ticket.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from tiski.tickets.models import Ticket

from .errors import ApiError


def etag(ticket: Ticket) -> str:
    return f'"t{ticket.pk}-{int(ticket.updated_at.timestamp() * 1_000_000)}"'


def check_if_match(request: HttpRequest, ticket: Ticket) -> None:
    """412 when the client's ``If-Match`` names another version than the current one."""
    wanted = request.headers.get("If-Match", "").strip()
    if not wanted or wanted == "*":
        return
    current = etag(ticket)
    candidates = {v.strip().removeprefix("W/") for v in wanted.split(",")}
    if current not in candidates:
        raise ApiError(
            412,
            "precondition_failed",
            _("The ticket changed since you read it. Read it again and retry."),
            headers={"ETag": current},
        )
