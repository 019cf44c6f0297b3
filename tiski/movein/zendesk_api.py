"""Zendesk's live API as a source for zendesk.py (see docs/moving-in.md).

Tickets come from the cursor-based incremental export
(``/api/v2/incremental/tickets/cursor.json``), a page of up to 1000 at a
time; the cursor after each page is saved once its tickets are written.
Users come from their incremental export too (it keeps deleted users);
organisations, groups and ticket fields from their lists, and each
ticket's comments from ``/api/v2/tickets/{id}/comments.json``.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from .api import ApiClient
from .position import Position

LISTS = {
    "organizations": "/api/v2/organizations.json?page%5Bsize%5D=100",
    "groups": "/api/v2/groups.json?page%5Bsize%5D=100",
    "users": "/api/v2/incremental/users/cursor.json?start_time=0",
    "ticket_fields": "/api/v2/ticket_fields.json",
}
TICKETS = "/api/v2/incremental/tickets/cursor.json"


def base_url(*, subdomain: str | None, url: str | None) -> str:
    if url:
        return url.rstrip("/")
    return f"https://{subdomain}.zendesk.com"


def authorization(email: str | None, token: str) -> str:
    """An API token with the agent's address; without one, an OAuth access token."""
    if email:
        pair = f"{email}/token:{token}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")
    return f"Bearer {token}"


def start_time(since: datetime | None) -> str:
    return str(int(since.timestamp())) if since else "0"


class ZendeskApi:
    streaming = True

    def __init__(self, client: ApiClient, position: Position) -> None:
        self.client = client
        self.position = position

    def items(self, name: str, key: str) -> Iterator[dict[str, Any]]:
        if name == "tickets":
            return self.tickets()
        if name.startswith("comments/"):
            ticket_id = urllib.parse.quote(name.split("/", 1)[1])
            path = f"/api/v2/tickets/{ticket_id}/comments.json?page%5Bsize%5D=100"
            return self.client.items(path, "comments")
        if name in LISTS:
            return self.client.items(LISTS[name], key)
        return iter(())  # audits: the comments API already has every comment

    def tickets(self) -> Iterator[dict[str, Any]]:
        saved = self.position.load()
        if saved and not saved.isdigit():
            url = f"{TICKETS}?cursor={urllib.parse.quote(saved)}"
        else:
            url = f"{TICKETS}?start_time={saved or '0'}"
        for page in self.client.pages(url, "tickets"):
            yield from page.items
            # Reached only when the writer asks for the next ticket: this page is written.
            self.position.save(str(page.body.get("after_cursor") or ""))
