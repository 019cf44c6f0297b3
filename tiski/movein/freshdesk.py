"""Reading a Freshdesk export (answers of the Freshdesk API v2), from a folder
or from the live API (freshdesk_api.py).

The reader asks its source for named lists (reading.py); a folder holds
``tickets.json``, ``contacts.json``, ``agents.json``, ``companies.json``,
``groups.json``, optional ``ticket_fields.json``; each ticket's
conversations inside it (``"conversations": [...]``, as
``include=conversations`` gives them) or in ``conversations/<ticket
id>.json``. The ticket's description is its first message. Attachment files
are looked for under
``attachments/<attachment id>/<name>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from tiski.tickets.models import Channel, Priority, Status

from .models import Source
from .reading import ExportSource, Folder
from .records import Comment, Export, FileRef, Person, SourceTicket, text_id, when

STATUSES = {2: Status.OPEN, 3: Status.PENDING, 4: Status.SOLVED, 5: Status.CLOSED}
PRIORITIES = {1: Priority.LOW, 2: Priority.NORMAL, 3: Priority.HIGH, 4: Priority.URGENT}
CHANNELS = {
    1: Channel.EMAIL,
    2: Channel.WEB_FORM,
    3: Channel.PHONE,
    7: Channel.CHAT,
    9: Channel.WEB_FORM,  # the feedback widget
    10: Channel.EMAIL,  # outbound email
}


def read_export(folder: Path) -> Export:
    return read(Folder(folder))


def read(source: ExportSource) -> Export:
    """The export from a folder or the live API; a live one's tickets come as they are read."""
    export = Export(source=Source.FRESHDESK)
    for company in source.items("companies", "companies"):
        export.organisations[text_id(company["id"])] = str(company.get("name") or company["id"])
    for group in source.items("groups", "groups"):
        export.groups[text_id(group["id"])] = str(group.get("name") or group["id"])
    for contact in source.items("contacts", "contacts"):
        export.people[text_id(contact["id"])] = _contact(contact)
    for agent in source.items("agents", "agents"):
        person = agent.get("contact") or {}
        # An agent's id is the id their replies carry as user_id.
        export.people[text_id(agent["id"])] = Person(
            source_id=text_id(agent["id"]),
            name=str(person.get("name") or ""),
            email=str(person.get("email") or ""),
            phone=str(person.get("phone") or ""),
            is_agent=True,
            active=bool(agent.get("available", True)) and not agent.get("deactivated"),
        )
    # Custom fields by their label ("Order number") where the export names it.
    labels = {
        str(f["name"]): str(f["label"])
        for f in source.items("ticket_fields", "ticket_fields")
        if not f.get("default") and f.get("name") and f.get("label")
    }
    export.tickets = _tickets(source, labels, export)
    if not source.streaming:
        # A folder may list a ticket twice: the last one wins.
        export.tickets = list({t.source_id: t for t in export.tickets}.values())
    return export


def _contact(contact: dict[str, Any]) -> Person:
    return Person(
        source_id=text_id(contact["id"]),
        name=str(contact.get("name") or ""),
        email=str(contact.get("email") or ""),
        phone=str(contact.get("phone") or contact.get("mobile") or ""),
        active=bool(contact.get("active", True)),
        deleted=bool(contact.get("deleted", False)),
        organisation_id=text_id(contact.get("company_id")),
    )


def _tickets(
    source: ExportSource, labels: dict[str, str], export: Export
) -> Iterator[SourceTicket]:
    for raw in source.items("tickets", "tickets"):
        ticket_id = text_id(raw["id"])
        if raw.get("deleted"):
            export.problems.append(
                _("%(ref)s: deleted in %(desk)s; left out")
                % {"ref": f"FD#{ticket_id}", "desk": "Freshdesk"}
            )
            continue
        requester = raw.get("requester")
        if isinstance(requester, dict) and text_id(raw.get("requester_id")) not in export.people:
            # include=requester: a requester the contact list did not have (deleted since).
            export.people[text_id(raw["requester_id"])] = _contact(
                {"id": raw["requester_id"], **requester}
            )
        conversations = list(raw.get("conversations") or [])
        conversations += list(source.items(f"conversations/{ticket_id}", "conversations"))
        unique = {text_id(c.get("id")): c for c in conversations}
        yield _ticket(raw, list(unique.values()), labels, export)


def _files(items: list[dict[str, Any]]) -> list[FileRef]:
    return [
        FileRef(
            filename=str(a.get("name") or a.get("id")),
            content_type=str(a.get("content_type") or "application/octet-stream"),
            path=f"attachments/{a.get('id')}/{a.get('name')}",
            url=str(a.get("attachment_url") or ""),
        )
        for a in items
    ]


def _ticket(
    raw: dict[str, Any],
    conversations: list[dict[str, Any]],
    labels: dict[str, str],
    export: Export,
) -> SourceTicket:
    ticket_id = text_id(raw["id"])
    status = STATUSES.get(raw.get("status"))  # type: ignore[arg-type]
    if status is None:
        # Custom statuses of the account: the ticket is still being worked on.
        export.problems.append(
            _("%(ref)s: status %(status)r read as open")
            % {"ref": f"FD#{ticket_id}", "status": raw.get("status")}
        )
        status = Status.OPEN
    fields = {
        labels.get(k, k): v
        for k, v in (raw.get("custom_fields") or {}).items()
        if v not in (None, "")
    }
    if raw.get("type"):
        fields["type"] = raw["type"]
    comments = [
        Comment(
            source_id="description",
            author_id=text_id(raw.get("requester_id")),
            public=True,
            incoming=True,
            created_at=when(raw.get("created_at")),
            text="" if raw.get("description") else str(raw.get("description_text") or ""),
            html=str(raw.get("description") or ""),
            attachments=_files(raw.get("attachments") or []),
        )
    ]
    for item in conversations:
        comments.append(
            Comment(
                source_id=text_id(item.get("id")),
                author_id=text_id(item.get("user_id")),
                public=not item.get("private", False),
                # A private note is an agent's, whatever "incoming" says.
                incoming=bool(item.get("incoming")) and not item.get("private", False),
                created_at=when(item.get("created_at")),
                text="" if item.get("body") else str(item.get("body_text") or ""),
                html=str(item.get("body") or ""),
                attachments=_files(item.get("attachments") or []),
            )
        )
    merged_into = ""
    association = raw.get("association_type")
    if raw.get("merged_into") or (association == 4 and raw.get("associated_tickets_list")):
        merged_into = text_id(raw.get("merged_into") or raw["associated_tickets_list"][0])
    return SourceTicket(
        source_id=ticket_id,
        subject=str(raw.get("subject") or ""),
        status=status,
        priority=PRIORITIES.get(raw.get("priority"), Priority.NORMAL),  # type: ignore[arg-type]
        channel=CHANNELS.get(raw.get("source"), Channel.EMAIL),  # type: ignore[arg-type]
        requester_id=text_id(raw.get("requester_id")),
        assignee_id=text_id(raw.get("responder_id")),
        group_id=text_id(raw.get("group_id")),
        type_name=str(raw.get("type") or ""),
        created_at=when(raw.get("created_at")),
        updated_at=when(raw.get("updated_at")),
        tags=[str(t) for t in raw.get("tags") or []],
        fields=fields,
        comments=comments,
        merged_into=merged_into,
    )
