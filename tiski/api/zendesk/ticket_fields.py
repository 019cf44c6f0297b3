"""``ticket_fields``: Zendesk's built-in (system) fields, the ones Tiski has.

Tiski's custom fields per ticket type are not offered here yet, so the list
is the same on every installation; the ids are fixed so scripts can keep them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tiski.tickets.models import Priority, Status, TicketType

from . import mapping
from .endpoint import api_base, endpoint
from .errors import not_found

# (id, Zendesk type, title, required)
SYSTEM_FIELDS: tuple[tuple[int, str, Any, bool], ...] = (
    (1, "subject", _("Subject"), True),
    (2, "description", _("Description"), True),
    (3, "status", _("Status"), False),
    (4, "tickettype", _("Type"), False),
    (5, "priority", _("Priority"), False),
    (6, "group", _("Team"), False),
    (7, "assignee", _("Assignee"), False),
)


def _options(kind: str) -> list[dict[str, str]] | None:
    if kind == "status":
        return [
            {"name": str(Status(mapping.tiski_status(name)).label), "value": name}
            for name in mapping.STATUSES
        ]
    if kind == "priority":
        return [{"name": str(Priority(name).label), "value": name} for name in mapping.PRIORITIES]
    if kind == "tickettype":
        return [{"name": str(t), "value": t.slug} for t in TicketType.objects.filter(active=True)]
    return None


def _field(spec: tuple[int, str, Any, bool], base: str) -> dict[str, Any]:
    field_id, kind, lazy_title, required = spec
    title = str(lazy_title)
    data: dict[str, Any] = {
        "id": field_id,
        "url": f"{base}/ticket_fields/{field_id}.json",
        "type": kind,
        "title": title,
        "raw_title": title,
        "description": "",
        "raw_description": "",
        "position": field_id,
        "active": True,
        "required": required,
        "collapsed_for_agents": False,
        "regexp_for_validation": None,
        "title_in_portal": title,
        "raw_title_in_portal": title,
        "visible_in_portal": kind in ("subject", "description"),
        "editable_in_portal": kind in ("subject", "description"),
        "required_in_portal": required,
        "tag": None,
        "removable": False,
        "agent_description": None,
        "created_at": None,
        "updated_at": None,
    }
    options = _options(kind)
    if options is not None:
        data["system_field_options"] = options
    return data


@endpoint("GET")
def ticket_fields(request: HttpRequest):
    base = api_base(request)
    fields = [_field(spec, base) for spec in SYSTEM_FIELDS]
    return {"ticket_fields": fields, "next_page": None, "previous_page": None, "count": len(fields)}


@endpoint("GET")
def ticket_field(request: HttpRequest, field_id: int):
    spec = next((s for s in SYSTEM_FIELDS if s[0] == field_id), None)
    if spec is None:
        raise not_found()
    return {"ticket_field": _field(spec, api_base(request))}
