"""Errors in Zendesk's shape: ``{"error": "RecordNotFound", "description": "Not found"}``.

Zendesk clients branch on ``error`` (Zenpy raises ``RecordNotFoundException``
for ``RecordNotFound``), so those names are Zendesk's own and never
translated; the description is for people and is.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.utils.translation import gettext as _


class ZendeskError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        details: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.details = details or {}
        self.headers = headers or {}


def response(
    status: int,
    error: str,
    description: str = "",
    details: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    body: dict[str, Any] = {"error": error}
    if description:
        body["description"] = description
    if details:
        # Zendesk lists each field's problems as objects, not bare strings.
        body["details"] = {
            field: [{"description": message, "error": "InvalidValue"} for message in messages]
            for field, messages in details.items()
        }
    reply = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        reply[name] = value
    return reply


def from_error(exc: ZendeskError) -> JsonResponse:
    return response(exc.status, exc.error, exc.description, exc.details, exc.headers)


def not_found() -> ZendeskError:
    return ZendeskError(404, "RecordNotFound", _("Not found"))


def invalid(field: str, message: str) -> ZendeskError:
    """422 RecordInvalid: the change is refused because of one field."""
    return ZendeskError(422, "RecordInvalid", _("Record validation errors"), {field: [message]})


def bad_parameter(name: str, message: str) -> ZendeskError:
    return ZendeskError(400, "InvalidParameter", message, {name: [message]})


def unauthenticated() -> ZendeskError:
    return ZendeskError(
        401,
        "Couldn't authenticate you",
        _(
            "Use HTTP Basic with email/token and a Tiski API token as the password, "
            "or Authorization: Bearer with the token."
        ),
        headers={"WWW-Authenticate": 'Basic realm="tiski"'},
    )


def unauthorized() -> JsonResponse:
    return from_error(unauthenticated())


# The refusals the shared middleware makes, by v1 code, in Zendesk's names.
V1_CODES = {
    "invalid_idempotency_key": "InvalidParameter",
    "idempotency_key_reused": "IdempotentRequestError",
}


def refusal(status: int, code: str, description: str) -> JsonResponse:
    return response(status, V1_CODES.get(code, "InvalidValue"), description)


def rate_limited(headers: dict[str, str]) -> JsonResponse:
    return response(
        429,
        "TooManyRequests",
        _("Too many requests. Try again after %(seconds)s seconds.")
        % {"seconds": headers.get("Retry-After", "60")},
        headers=headers,
    )
