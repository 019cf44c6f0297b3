"""URL templates of side-panel cards: ``{{requester.email}}`` and friends.

Pure functions (no database): the values come in as a dict, each is
URL-encoded as a whole before it goes in, so an address with ``+`` or ``&``
or a name with spaces can never change the URL's shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from tiski.tickets.models import Ticket

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")
NAMES = (
    "requester.email",
    "requester.phone",
    "requester.name",
    "requester.id",
    "ticket.number",
    "ticket.subject",
    "organisation.name",
    "organisation.id",
)


class TemplateError(ValueError):
    pass


def unknown_placeholders(template: str) -> list[str]:
    return [name for name in PLACEHOLDER.findall(template) if name not in NAMES]


def check(template: str) -> None:
    """Raise TemplateError for an unknown placeholder or a URL that is not http(s)."""
    unknown = unknown_placeholders(template)
    if unknown:
        raise TemplateError(", ".join(unknown))
    sample = render(template, dict.fromkeys(NAMES, "x"))
    parts = urlsplit(sample)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TemplateError(template)


def render(template: str, values: Mapping[str, str]) -> str:
    """The URL with each placeholder replaced by its value, URL-encoded; missing: empty."""
    return PLACEHOLDER.sub(lambda m: quote(values.get(m.group(1), ""), safe=""), template)


def ticket_values(ticket: Ticket) -> dict[str, str]:
    """The placeholder values of a ticket: its requester's first email and phone."""
    requester = ticket.requester
    organisation = requester.organisation
    emails, phones = requester.emails, requester.phones
    return {
        "requester.email": emails[0] if emails else "",
        "requester.phone": phones[0] if phones else "",
        "requester.name": requester.name,
        "requester.id": str(requester.pk),
        "ticket.number": str(ticket.number),
        "ticket.subject": ticket.subject,
        "organisation.name": organisation.name if organisation else "",
        "organisation.id": str(organisation.pk) if organisation else "",
    }
