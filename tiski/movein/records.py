"""The old desk's data, read from its export and shaped the same for every vendor.

The readers (zendesk.py, freshdesk.py) only translate; writer.py decides
what becomes of each record here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.dateparse import parse_datetime


@dataclass
class Person:
    source_id: str
    name: str = ""
    email: str = ""
    phone: str = ""
    is_agent: bool = False
    active: bool = True
    deleted: bool = False
    organisation_id: str = ""


@dataclass
class FileRef:
    """An attachment: a file in the export folder, or a URL to fetch."""

    filename: str
    content_type: str = "application/octet-stream"
    path: str = ""  # relative to the export folder
    url: str = ""


@dataclass
class Comment:
    source_id: str
    author_id: str
    public: bool
    created_at: datetime | None
    text: str = ""
    html: str = ""
    # The customer wrote it (Freshdesk's "incoming"); otherwise the author's role decides.
    incoming: bool | None = None
    attachments: list[FileRef] = field(default_factory=list)


@dataclass
class SourceTicket:
    source_id: str
    subject: str
    status: str  # one of tiski's Status values
    priority: str  # one of tiski's Priority values
    channel: str  # one of tiski's Channel values
    requester_id: str
    created_at: datetime | None
    updated_at: datetime | None
    assignee_id: str = ""
    group_id: str = ""
    # The old desk's ticket type; used when a type here has that identifier or name.
    type_name: str = ""
    tags: list[str] = field(default_factory=list)
    # Custom fields and other values without a place here, kept as they were.
    fields: dict = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    # The old desk's number of the ticket this one was merged into.
    merged_into: str = ""


@dataclass
class Export:
    source: str
    people: dict[str, Person] = field(default_factory=dict)
    organisations: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    # A list from a folder; from a live API, an iterator that reads as the writer goes.
    tickets: Iterable[SourceTicket] = field(default_factory=list)
    # What the reader could not make sense of, for the log (a live reader adds as it goes).
    problems: list[str] = field(default_factory=list)


def when(value: object) -> datetime | None:
    """An ISO 8601 time from an export ("2024-03-01T09:15:00Z"), or None."""
    if not isinstance(value, str) or not value:
        return None
    return parse_datetime(value)


def text_id(value: object) -> str:
    return "" if value is None else str(value)
