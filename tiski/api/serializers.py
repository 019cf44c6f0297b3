"""Rows as JSON dicts, with ``include=`` and ``fields=`` applied without N+1 queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from tiski.customers.models import Contact, Identity
from tiski.tickets import custom_fields
from tiski.tickets.models import Message, MessageKind, Ticket

from .errors import ApiError

TICKET_FIELDS = (
    "number",
    "subject",
    "status",
    "priority",
    "type",
    "channel",
    "requester_id",
    "assignee_id",
    "team_id",
    "parent",
    "tags",
    "custom_fields",
    "due_at",
    "created_at",
    "updated_at",
    "solved_at",
)
TICKET_INCLUDES = ("requester", "last_message")


def _names(raw: str | None, allowed: Sequence[str], param: str) -> set[str] | None:
    if not raw:
        return None
    names = {n.strip() for n in raw.split(",") if n.strip()}
    unknown = names - set(allowed)
    if unknown:
        raise ApiError(
            400,
            "invalid",
            _("Unknown %(param)s: %(names)s.")
            % {"param": param, "names": ", ".join(sorted(unknown))},
            {param: [_("Choose from: %(names)s.") % {"names": ", ".join(allowed)}]},
        )
    return names


def parse_fields(raw: str | None) -> set[str] | None:
    return _names(raw, TICKET_FIELDS, "fields")


def parse_include(raw: str | None) -> set[str]:
    return _names(raw, TICKET_INCLUDES, "include") or set()


def ticket_queryset(qs: QuerySet[Ticket], include: set[str]) -> QuerySet[Ticket]:
    """What one page of tickets needs, in a fixed number of queries."""
    qs = qs.select_related("type", "parent").prefetch_related("tags", "field_values__field")
    if "requester" in include:
        qs = qs.select_related("requester").prefetch_related(
            Prefetch("requester__identities", queryset=Identity.objects.order_by("pk"))
        )
    if "last_message" in include:
        last = (
            Message.objects.filter(ticket=OuterRef("pk"))
            .exclude(kind=MessageKind.SYSTEM)
            .order_by("-created_at", "-id")
            .values("id")[:1]
        )
        qs = qs.annotate(last_message_id=Subquery(last))
    return qs


def attach_last_messages(tickets: Sequence[Ticket]) -> None:
    """One query for the last messages of a whole page (ids from the annotation)."""
    ids = [t.last_message_id for t in tickets if getattr(t, "last_message_id", None)]
    messages = Message.objects.prefetch_related("attachments").in_bulk(ids)
    for ticket in tickets:
        ticket.api_last_message = messages.get(getattr(ticket, "last_message_id", None))


def ticket_dict(
    ticket: Ticket, *, include: Iterable[str] = (), fields: set[str] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type.slug if ticket.type_id else None,
        "channel": ticket.channel,
        "requester_id": ticket.requester_id,
        "assignee_id": ticket.assignee_id,
        "team_id": ticket.team_id,
        "parent": ticket.parent.number if ticket.parent_id else None,
        "tags": sorted(t.name for t in ticket.tags.all()),
        "custom_fields": {
            v.field.key: custom_fields.json_value(v.field, v.value)
            for v in sorted(ticket.field_values.all(), key=lambda v: v.field.key)
        },
        "due_at": ticket.due_at,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "solved_at": ticket.solved_at,
    }
    if fields is not None:
        data = {k: v for k, v in data.items() if k in fields}
    include = set(include)
    if "requester" in include:
        data["requester"] = contact_dict(ticket.requester)
    if "last_message" in include:
        message = getattr(ticket, "api_last_message", None)
        data["last_message"] = message_dict(message, ticket) if message else None
    return data


def attachment_dict(attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": reverse("api:attachment", kwargs={"attachment_id": attachment.pk}),
    }


def message_dict(message: Message, ticket: Ticket) -> dict[str, Any]:
    return {
        "id": message.pk,
        "ticket": ticket.number,
        "kind": message.kind,
        "channel": message.channel,
        "author_user_id": message.author_user_id,
        "author_contact_id": message.author_contact_id,
        "text": message.text,
        "html": message.html,
        "created_at": message.created_at,
        "attachments": [attachment_dict(a) for a in message.attachments.all()],
    }


def contact_dict(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "name": contact.name,
        "language": contact.language,
        "organisation_id": contact.organisation_id,
        "notes": contact.notes,
        "identities": [
            {"id": i.pk, "kind": i.kind, "value": i.value} for i in contact.identities.all()
        ],
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }
