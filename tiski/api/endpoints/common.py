"""Look-ups the endpoints share: ids from a request body to rows, or a field error."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import ValidationError as PydanticError

from tiski.accounts.models import Team, User
from tiski.customers.models import Contact, Organisation
from tiski.tickets.models import TicketType

from ..errors import ApiError

S = TypeVar("S", bound=Schema)


def field_error(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid", message, {field: [message]})


def team_or_none(team_id: int | None, field: str = "team_id") -> Team | None:
    """0 or None: no team."""
    if not team_id:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise field_error(field, _("No such team."))
    return team


def user_or_none(user_id: int | None, field: str = "assignee_id") -> User | None:
    if not user_id:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise field_error(field, _("No such active user."))
    return user


def type_or_none(slug: str | None, field: str = "type") -> TicketType | None:
    if not slug:
        return None
    found = TicketType.objects.filter(slug=slug).first()
    if found is None:
        raise field_error(field, _("No such ticket type."))
    return found


def contact(contact_id: int, field: str = "requester_id") -> Contact:
    found = Contact.objects.filter(pk=contact_id).first()
    if found is None:
        raise field_error(field, _("No such contact."))
    return found


def organisation_or_none(org_id: int | None, field: str = "organisation_id") -> Organisation | None:
    if not org_id:
        return None
    found = Organisation.objects.filter(pk=org_id).first()
    if found is None:
        raise field_error(field, _("No such organisation."))
    return found


def page_body(data: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {"data": data, "next_cursor": next_cursor}


def json_body(schema: type[Schema]) -> dict[str, Any]:
    """An OpenAPI request body for an endpoint that reads its body itself."""
    return {
        "content": {"application/json": {"schema": schema.model_json_schema()}},
        "required": True,
    }


def parse_body(request: HttpRequest, schema: type[S], raw: dict[str, Any] | None = None) -> S:
    """The body, validated, read after the endpoint found its ticket.

    Endpoints that take a ticket number look the ticket up first, so a
    ticket the user may not see answers 404 whatever the body holds.
    """
    if raw is None:
        try:
            raw = json.loads(request.body or b"{}")
        except ValueError as exc:
            raise ApiError(400, "invalid_json", _("The body is not valid JSON.")) from exc
    if not isinstance(raw, dict):
        raise ApiError(400, "invalid_json", _("The body is not valid JSON."))
    try:
        return schema.model_validate(raw)
    except PydanticError as exc:
        fields: dict[str, list[str]] = {}
        for problem in exc.errors():
            fields.setdefault(".".join(str(p) for p in problem["loc"]), []).append(problem["msg"])
        raise ApiError(422, "invalid", _("The request has invalid fields."), fields) from exc
