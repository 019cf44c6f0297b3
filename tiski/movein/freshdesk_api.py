"""Freshdesk's live API v2 as a source for freshdesk.py (see docs/moving-in.md).

Tickets come from ``/api/v2/tickets?updated_since=...`` oldest change
first, 100 a page, following the ``Link: rel="next"`` header; the list has
no attachments, so each ticket is read once more (``/api/v2/tickets/{id}``)
and its conversations from ``/api/v2/tickets/{id}/conversations``. The
``updated_at`` of a page's last ticket is saved once the page is written.
Freshdesk stops a list after 300 pages; the reading then starts again from
the last ``updated_at`` it saw.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from tiski.connectors import transport

from .api import ApiClient
from .position import Position

log = logging.getLogger(__name__)

LISTS = {
    "companies": "/api/v2/companies?per_page=100",
    "groups": "/api/v2/groups?per_page=100",
    "agents": "/api/v2/agents?per_page=100",
    "ticket_fields": "/api/v2/ticket_fields",
}
# The list's own limit: page 301 is refused.
MAX_PAGES = 300
PER_PAGE = 100
BEGINNING = "1970-01-01T00:00:00Z"


def base_url(*, domain: str | None, url: str | None) -> str:
    if url:
        return url.rstrip("/")
    return f"https://{domain}"


def authorization(api_key: str) -> str:
    # The key is the user name; Freshdesk ignores the password.
    return transport.basic_auth(api_key, "X")


def updated_since(since: datetime | None) -> str:
    return since.strftime("%Y-%m-%dT%H:%M:%SZ") if since else BEGINNING


class FreshdeskApi:
    streaming = True

    def __init__(self, client: ApiClient, position: Position) -> None:
        self.client = client
        self.position = position

    def items(self, name: str, key: str) -> Iterator[dict[str, Any]]:
        if name == "tickets":
            return self.tickets()
        if name == "contacts":
            return self.contacts()
        if name.startswith("conversations/"):
            ticket_id = urllib.parse.quote(name.split("/", 1)[1])
            path = f"/api/v2/tickets/{ticket_id}/conversations?per_page={PER_PAGE}"
            return self.client.items(path, "conversations")
        if name in LISTS:
            return self.client.items(LISTS[name], key)
        return iter(())

    def contacts(self) -> Iterator[dict[str, Any]]:
        yield from self.client.items(f"/api/v2/contacts?per_page={PER_PAGE}", "contacts")
        # The plain list leaves deleted contacts out; their tickets still name them.
        for contact in self.client.items(
            f"/api/v2/contacts?state=deleted&per_page={PER_PAGE}", "contacts"
        ):
            yield {**contact, "deleted": True}

    def tickets(self) -> Iterator[dict[str, Any]]:
        since = self.position.load() or BEGINNING
        while True:
            query = urllib.parse.urlencode(
                {
                    "updated_since": since,
                    "order_by": "updated_at",
                    "order_type": "asc",
                    "include": "requester,description",
                    "per_page": PER_PAGE,
                }
            )
            pages = 0
            full = False
            last = since
            for page in self.client.pages(f"/api/v2/tickets?{query}", "tickets"):
                pages += 1
                for listed in page.items:
                    yield self.whole(listed)
                    last = str(listed.get("updated_at") or last)
                # Reached only when the writer asks for the next ticket: this page is written.
                self.position.save(last)
                full = len(page.items) >= PER_PAGE
            if pages < MAX_PAGES or not full or last == since:
                return
            # The list's page limit, not its end: again from the last change read.
            since = last

    def whole(self, listed: dict[str, Any]) -> dict[str, Any]:
        """The ticket with its attachments, which the list leaves out."""
        if "attachments" in listed:
            return listed
        response = self.client.get(f"/api/v2/tickets/{urllib.parse.quote(str(listed['id']))}")
        ticket = response.json() if response is not None else None
        if not isinstance(ticket, dict):
            # Gone since it was listed: what the list said still comes in.
            log.info("move-in: Freshdesk ticket %s not readable on its own", listed["id"])
            return listed
        return {**listed, **ticket}
