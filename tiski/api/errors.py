"""One JSON shape for every API error: ``{"code", "message", "fields"}``."""

from __future__ import annotations

from django.http import JsonResponse


class ApiError(Exception):
    """An error an endpoint answers with; ``fields`` maps a field to its messages."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields or {}
        self.headers = headers or {}


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    response = JsonResponse(
        {"code": code, "message": message, "fields": fields or {}}, status=status
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def from_api_error(exc: ApiError) -> JsonResponse:
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)
