"""Reading a Zendesk export, from a folder or from the live API (zendesk_api.py).

The reader asks its source for named lists (reading.py); a folder holds the
answers of Zendesk's incremental export API, or the JSON-lines files of its
account export: ``tickets.json``, ``users.json``, ``organizations.json``,
``groups.json``, and the comments either inside each ticket (``"comments":
[...]``), in ``comments/<ticket id>.json`` (the ticket comments API) or in
``ticket_audits.json`` / ``audits/<ticket id>.json`` (the audits' Comment
events). Attachment files are looked for under
``attachments/<attachment id>/<file name>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from tiski.tickets.models import Channel, Priority, Status

from .models import Source
from .reading import ExportSource, Folder
from .records import Comment, Export, FileRef, Person, SourceTicket, text_id, when

STATUSES = {
    "new": Status.NEW,
    "open": Status.OPEN,
    "pending": Status.PENDING,
    "hold": Status.ON_HOLD,
    "solved": Status.SOLVED,
    "closed": Status.CLOSED,
}
PRIORITIES = {
    "low": Priority.LOW,
    "normal": Priority.NORMAL,
    "high": Priority.HIGH,
    "urgent": Priority.URGENT,
}
CHANNELS = {
    "email": Channel.EMAIL,
    "web": Channel.WEB_FORM,
    "voice": Channel.PHONE,
    "chat": Channel.CHAT,
    "native_messaging": Channel.CHAT,
    "api": Channel.API,
    "sms": Channel.SMS,
    "whatsapp": Channel.WHATSAPP,
    "facebook": Channel.MESSENGER,
    "telegram": Channel.TELEGRAM,
}
# The comment Zendesk leaves on a ticket it closed by merging.
MERGED_INTO = re.compile(r"merged into (?:request|ticket) #(\d+)", re.IGNORECASE)


def read_export(folder: Path) -> Export:
    return read(Folder(folder))


def read(source: ExportSource) -> Export:
    """The export from a folder or the live API; a live one's tickets come as they are read."""
    export = Export(source=Source.ZENDESK)
    for org in source.items("organizations", "organizations"):
        export.organisations[text_id(org["id"])] = str(org.get("name") or org["id"])
    for group in source.items("groups", "groups"):
        export.groups[text_id(group["id"])] = str(group.get("name") or group["id"])
    for user in source.items("users", "users"):
        export.people[text_id(user["id"])] = _person(user)
    fields = {
        text_id(f["id"]): str(f.get("title") or f["id"])
        for f in source.items("ticket_fields", "ticket_fields")
    }
    audits = _comments_from_audits(source.items("ticket_audits", "audits"))
    raw_tickets = source.items("tickets", "tickets")
    if not source.streaming:
        raw_tickets = iter(_newest(raw_tickets).values())
    export.tickets = _tickets(source, raw_tickets, fields, audits, export)
    if not source.streaming:
        export.tickets = list(export.tickets)
    return export


def _newest(raw_tickets: Iterator[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each ticket once: an incremental export lists a ticket again each
    time it changed, and the last one is the newest."""
    seen: dict[str, dict[str, Any]] = {}
    for raw in raw_tickets:
        ticket_id = text_id(raw["id"])
        seen.pop(ticket_id, None)
        seen[ticket_id] = raw
    return seen


def _tickets(
    source: ExportSource,
    raw_tickets: Iterator[dict[str, Any]],
    fields: dict[str, str],
    audits: dict[str, list[Comment]],
    export: Export,
) -> Iterator[SourceTicket]:
    for raw in raw_tickets:
        ticket_id = text_id(raw["id"])
        if raw.get("status") == "deleted":
            export.problems.append(
                _("%(ref)s: deleted in %(desk)s; left out")
                % {"ref": f"ZD#{ticket_id}", "desk": "Zendesk"}
            )
            continue
        comments = [_comment(c) for c in raw.get("comments") or []]
        comments += [_comment(c) for c in source.items(f"comments/{ticket_id}", "comments")]
        comments += _comments_from_audits(source.items(f"audits/{ticket_id}", "audits")).get(
            ticket_id, []
        )
        comments += audits.get(ticket_id, [])
        yield _ticket(raw, fields, _unique(comments), export)


def _person(user: dict[str, Any]) -> Person:
    return Person(
        source_id=text_id(user["id"]),
        name=str(user.get("name") or ""),
        email=str(user.get("email") or ""),
        phone=str(user.get("phone") or ""),
        is_agent=user.get("role") in ("agent", "admin"),
        active=bool(user.get("active", True)),
        deleted=not user.get("active", True),
        organisation_id=text_id(user.get("organization_id")),
    )


def _unique(comments: list[Comment]) -> list[Comment]:
    return list({c.source_id: c for c in comments}.values())


def _ticket(
    raw: dict[str, Any], field_titles: dict[str, str], comments: list[Comment], export: Export
) -> SourceTicket:
    ticket_id = text_id(raw["id"])
    status = STATUSES.get(str(raw.get("status")), Status.OPEN)
    if str(raw.get("status")) not in STATUSES:
        export.problems.append(
            _("%(ref)s: status %(status)r read as open")
            % {"ref": f"ZD#{ticket_id}", "status": raw.get("status")}
        )
    priority = PRIORITIES.get(str(raw.get("priority")), Priority.NORMAL)
    channel = CHANNELS.get(str((raw.get("via") or {}).get("channel")), Channel.EMAIL)
    custom = {}
    for item in raw.get("custom_fields") or raw.get("fields") or []:
        if item.get("value") not in (None, "", []):
            custom[field_titles.get(text_id(item.get("id")), text_id(item.get("id")))] = item[
                "value"
            ]
    if raw.get("type"):
        custom["type"] = raw["type"]
    merged_into = ""
    tags = [str(t) for t in raw.get("tags") or []]
    if "closed_by_merge" in tags:
        for comment in comments:
            found = MERGED_INTO.search(comment.text or comment.html)
            if found:
                merged_into = found.group(1)
    if not comments and raw.get("description"):
        # The description is the first comment; an export without comments
        # still has it.
        comments = [
            Comment(
                source_id="description",
                author_id=text_id(raw.get("submitter_id") or raw.get("requester_id")),
                public=True,
                created_at=when(raw.get("created_at")),
                text=str(raw["description"]),
            )
        ]
    return SourceTicket(
        source_id=ticket_id,
        subject=str(raw.get("subject") or raw.get("raw_subject") or ""),
        status=status,
        priority=priority,
        channel=channel,
        requester_id=text_id(raw.get("requester_id")),
        assignee_id=text_id(raw.get("assignee_id")),
        group_id=text_id(raw.get("group_id")),
        type_name=str(raw.get("type") or ""),
        created_at=when(raw.get("created_at")),
        updated_at=when(raw.get("updated_at")),
        tags=tags,
        fields=custom,
        comments=comments,
        merged_into=merged_into,
    )


def _comment(raw: dict[str, Any]) -> Comment:
    html = str(raw.get("html_body") or "")
    # Without HTML the plain (possibly Markdown) body is kept as text.
    text = "" if html else str(raw.get("plain_body") or raw.get("body") or "")
    return Comment(
        source_id=text_id(raw.get("id")),
        author_id=text_id(raw.get("author_id")),
        public=bool(raw.get("public", True)),
        created_at=when(raw.get("created_at")),
        text=text,
        html=html,
        attachments=[
            FileRef(
                filename=str(a.get("file_name") or a.get("id")),
                content_type=str(a.get("content_type") or "application/octet-stream"),
                path=f"attachments/{a.get('id')}/{a.get('file_name')}",
                url=str(a.get("content_url") or ""),
            )
            for a in raw.get("attachments") or []
        ],
    )


def _comments_from_audits(audits: Any) -> dict[str, list[Comment]]:
    """Comments from audits: each audit's Comment events, stamped with the audit's time."""
    found: dict[str, list[Comment]] = {}
    for audit in audits:
        for event in audit.get("events") or []:
            if event.get("type") != "Comment":
                continue
            comment = _comment({**event, "created_at": audit.get("created_at")})
            if not comment.author_id:
                comment.author_id = text_id(audit.get("author_id"))
            found.setdefault(text_id(audit.get("ticket_id")), []).append(comment)
    return found
