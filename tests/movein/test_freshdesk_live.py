"""`tiski import-freshdesk --url ...`: the history read from Freshdesk's API v2.

A loopback server answers as Freshdesk's API v2 does (List Tickets with
updated_since and include, View Ticket, Conversations, Contacts, Agents,
Companies, Groups, Ticket Fields; shapes from Freshdesk's published API
reference; pages by ``per_page`` and ``page`` with a ``Link: rel="next"``
header), with a 429 and its Retry-After, a 500, an attachment that is gone
and a deleted contact on the way.
"""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tiski.accounts.models import Team
from tiski.movein import api, freshdesk_api
from tiski.movein.models import ExportPosition, SourceRecord
from tiski.tickets.models import Message, MessageKind, Status, Ticket

from .vendor_server import Reply, VendorServer

API_KEY = "fd-key-sFp9HmeHpDK2Z6yJ"
AUTHORIZATION = "Basic " + base64.b64encode(f"{API_KEY}:X".encode()).decode()


def listed(id: int, status: int, requester_id: int, updated: str, **more: Any) -> dict:
    """A ticket as List Tickets gives it: no attachments, no conversations."""
    return {
        "id": id,
        "subject": f"Tiketti {id}",
        "description": f"<div>Kuvaus {id}</div>",
        "description_text": f"Kuvaus {id}",
        "status": status,
        "priority": 1,
        "source": 1,
        "type": None,
        "requester_id": requester_id,
        "responder_id": None,
        "group_id": None,
        "company_id": None,
        "tags": [],
        "custom_fields": {},
        "created_at": "2024-02-01T08:00:00Z",
        "updated_at": updated,
        **more,
    }


def conversation(id: int, user: int, text: str, at: str, **more: Any) -> dict:
    return {
        "id": id,
        "body": f"<div>{text}</div>",
        "body_text": text,
        "incoming": False,
        "private": False,
        "user_id": user,
        "source": 0,
        "attachments": [],
        "created_at": at,
        "updated_at": at,
        **more,
    }


class FakeFreshdesk(VendorServer):
    def __init__(self) -> None:
        super().__init__(AUTHORIZATION)
        # The pages Freshdesk gives a list before refusing more (300 there).
        self.max_pages = 1000
        self.files["/files/kuitti.pdf"] = b"%PDF-1.4 kuitti"
        self.tickets = [
            listed(
                1,
                2,
                80001,
                "2024-02-01T12:00:00Z",
                priority=3,
                responder_id=90001,
                group_id=60001,
                custom_fields={"cf_order_number": "A-1", "cf_empty": None},
                requester={"id": 80001, "name": "Liisa Asiakas", "email": "liisa@asiakas.example"},
            ),
            listed(2, 4, 80003, "2024-02-02T12:00:00Z", source=3),
            # A requester the contact lists do not have: include=requester names them.
            listed(
                3,
                3,
                80004,
                "2024-02-03T09:00:00Z",
                requester={"id": 80004, "name": "Uusi Asiakas", "email": "uusi@asiakas.example"},
            ),
        ]
        self.conversations: dict[int, list[dict]] = {
            1: [
                conversation(3001, 90001, "Tarkistan asian.", "2024-02-01T09:00:00Z"),
                conversation(
                    3002,
                    90002,
                    "Sisäinen huomio.",
                    "2024-02-01T09:30:00Z",
                    private=True,
                    attachments=[
                        {
                            "id": 5002,
                            "name": "kuva.jpg",
                            "content_type": "image/jpeg",
                            "attachment_url": f"{self.url}/files/kuva.jpg",
                        }
                    ],
                ),
                conversation(
                    3003, 80001, "Kiitos!", "2024-02-01T11:00:00Z", incoming=True, source=0
                ),
            ],
            2: [],
            3: [],
        }
        self.routes.update(
            {
                "/api/v2/companies": lambda q: [{"id": 70001, "name": "Asiakas Oy"}],
                "/api/v2/groups": lambda q: [{"id": 60001, "name": "Toimitukset"}],
                "/api/v2/agents": self.agents,
                "/api/v2/contacts": self.contacts,
                "/api/v2/ticket_fields": lambda q: [
                    {"id": 1, "name": "requester", "label": "Search a requester", "default": True},
                    {"id": 2, "name": "cf_order_number", "label": "Order number", "default": False},
                ],
                "/api/v2/tickets": self.list_tickets,
            }
        )
        for id in (1, 2, 3):
            self.routes[f"/api/v2/tickets/{id}"] = lambda q, id=id: self.view(id)
            self.routes[f"/api/v2/tickets/{id}/conversations"] = lambda q, id=id: self.paged(
                f"/api/v2/tickets/{id}/conversations", self.conversations[id], q
            )

    def paged(self, path: str, rows: list[dict], query: dict[str, str]) -> Reply:
        """Freshdesk's pages: ``per_page`` (30 unless asked) and ``page``, Link to the next."""
        size = 2 if "conversations" in path else int(query.get("per_page", 30))
        page = int(query.get("page", 1))
        chunk = rows[(page - 1) * size : page * size]
        headers = {}
        if len(rows) > page * size and page < self.max_pages:
            rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "page")
            headers["Link"] = f'<{self.url}{path}?{rest}&page={page + 1}>; rel="next"'
        return Reply(body=chunk, headers=headers)

    def agents(self, query: dict[str, str]) -> Reply:
        rows = [
            {
                "id": 90001,
                "available": True,
                "contact": {"name": "Anna", "email": "anna@vanha.example"},
            },
            {
                "id": 90002,
                "available": False,
                "deactivated": True,
                "contact": {"name": "Entinen Agentti", "email": None},
            },
        ]
        return self.paged("/api/v2/agents", rows, {**query, "per_page": "1"})

    def contacts(self, query: dict[str, str]) -> list[dict]:
        if query.get("state") == "deleted":
            return [{"id": 80003, "name": "Poistettu", "email": None, "phone": "+358401112223"}]
        return [
            {
                "id": 80001,
                "name": "Liisa Asiakas",
                "email": "liisa@asiakas.example",
                "company_id": 70001,
            }
        ]

    def list_tickets(self, query: dict[str, str]) -> Reply:
        since = query["updated_since"]
        rows = sorted(
            (t for t in self.tickets if t["updated_at"] >= since), key=lambda t: t["updated_at"]
        )
        if query.get("order_type") != "asc":
            rows.reverse()
        return self.paged("/api/v2/tickets", rows, query)

    def view(self, id: int) -> dict:
        ticket = next(t for t in self.tickets if t["id"] == id)
        full = {k: v for k, v in ticket.items() if k != "requester"}
        full["attachments"] = []
        if id == 1:
            full["attachments"] = [
                {
                    "id": 5001,
                    "name": "kuitti.pdf",
                    "content_type": "application/pdf",
                    "attachment_url": f"{self.url}/files/kuitti.pdf",
                }
            ]
        return full


@pytest.fixture
def freshdesk(monkeypatch) -> Any:
    server = FakeFreshdesk()
    waits: list[float] = []
    monkeypatch.setattr(api, "sleep", waits.append)
    monkeypatch.setenv("FRESHDESK_KEY", API_KEY)
    server.waits = waits
    yield server
    server.close()


def run(server: FakeFreshdesk, *args: str) -> Any:
    from tiski.movein.management.commands.import_freshdesk import Command

    command = Command(stdout=io.StringIO())
    call_command(command, "--url", server.url, "--api-key-env", "FRESHDESK_KEY", *args)
    return command.summary


def ticket_for(source_id: str) -> Ticket:
    record = SourceRecord.objects.get(source="freshdesk", kind="ticket", source_id=source_id)
    return Ticket.objects.get(pk=record.object_id)


@pytest.mark.django_db
def test_tickets_conversations_and_people_come_in_page_by_page(freshdesk):
    freshdesk.first["/api/v2/tickets/2"] = [Reply(429, {}, {"Retry-After": "3"})]
    freshdesk.first["/api/v2/tickets/2/conversations"] = [Reply(500, {"code": "internal_error"})]
    summary = run(freshdesk)

    assert summary.counts["tickets_created"] == 3
    assert freshdesk.waits == [3.0, 1.0]
    listing = freshdesk.asked("/api/v2/tickets")[0].query
    assert listing["updated_since"] == "1970-01-01T00:00:00Z"
    assert (listing["order_by"], listing["order_type"], listing["per_page"]) == (
        "updated_at",
        "asc",
        "100",
    )
    assert "requester" in listing["include"].split(",")
    assert {s.authorization for s in freshdesk.seen if s.path.startswith("/api/")} == {
        AUTHORIZATION
    }
    # Presigned attachment URLs get no API key.
    assert {s.authorization for s in freshdesk.seen if s.path.startswith("/files/")} == {None}
    assert len(freshdesk.asked("/api/v2/agents")) == 2  # two pages, Link followed

    first = ticket_for("1")
    assert (first.status, first.priority) == (Status.OPEN, "high")
    assert first.team == Team.objects.get(name="Toimitukset")
    assert first.requester.organisation.name == "Asiakas Oy"
    assert first.created_at == datetime(2024, 2, 1, 8, tzinfo=UTC)
    messages = list(first.messages.order_by("created_at", "id"))
    assert [m.kind for m in messages] == [
        MessageKind.INTERNAL,
        MessageKind.CUSTOMER,  # the description, with the file the list leaves out
        MessageKind.PUBLIC,
        MessageKind.INTERNAL,
        MessageKind.CUSTOMER,  # the conversations' second page
    ]
    # The custom field by its label, from Ticket Fields.
    assert "Order number: A-1" in messages[0].text
    assert messages[1].attachments.get().file.read() == b"%PDF-1.4 kuitti"
    assert not messages[3].author_user.is_active
    assert summary.counts["attachments_missing"] == 1
    assert any("kuva.jpg" in line and "404" in line for line in summary.problems)

    # The deleted contact (state=deleted) is found by their phone number.
    deleted = ticket_for("2")
    assert deleted.status == Status.SOLVED and deleted.channel == "phone"
    assert deleted.requester.name == "Poistettu"
    assert deleted.requester.identities.get().kind == "phone"
    assert ticket_for("3").requester.name == "Uusi Asiakas"
    saved = ExportPosition.objects.get(source="freshdesk")
    assert saved.position == "2024-02-03T09:00:00Z"


@pytest.mark.django_db
def test_a_second_run_reads_what_changed_since_and_updates(freshdesk):
    run(freshdesk)
    counts = (Ticket.objects.count(), Message.objects.count())
    freshdesk.tickets[0] = {
        **freshdesk.tickets[0],
        "status": 4,
        "updated_at": "2024-03-01T10:00:00Z",
    }
    freshdesk.conversations[1].append(
        conversation(3004, 90001, "Ratkaistu.", "2024-03-01T10:00:00Z")
    )
    before = len(freshdesk.asked("/api/v2/tickets"))
    summary = run(freshdesk)
    assert freshdesk.asked("/api/v2/tickets")[before].query["updated_since"] == (
        "2024-02-03T09:00:00Z"
    )
    assert summary.counts["tickets_created"] == 0
    assert summary.counts["tickets_updated"] == 2  # 3 (the same second) and 1
    assert (Ticket.objects.count(), Message.objects.count()) == (counts[0], counts[1] + 1)
    assert ticket_for("1").status == Status.SOLVED
    assert ExportPosition.objects.get(source="freshdesk").position == "2024-03-01T10:00:00Z"


@pytest.mark.django_db
def test_past_the_lists_page_limit_reading_goes_on_from_the_last_change(freshdesk, monkeypatch):
    """Freshdesk stops a list after 300 pages: read again from the last updated_at seen."""
    monkeypatch.setattr(freshdesk_api, "PER_PAGE", 2)
    monkeypatch.setattr(freshdesk_api, "MAX_PAGES", 1)
    freshdesk.max_pages = 1
    summary = run(freshdesk)
    assert [s.query["updated_since"] for s in freshdesk.asked("/api/v2/tickets")] == [
        "1970-01-01T00:00:00Z",
        "2024-02-02T12:00:00Z",
        "2024-02-03T09:00:00Z",
    ]
    assert summary.counts["tickets_created"] == 3
    assert Ticket.objects.count() == 3


@pytest.mark.django_db
def test_a_missing_key_or_a_folder_with_an_address_is_refused(freshdesk, monkeypatch, tmp_path):
    from tiski.movein.management.commands.import_freshdesk import Command

    monkeypatch.delenv("FRESHDESK_KEY")
    with pytest.raises(CommandError, match="--api-key-env NAME or --api-key-file PATH"):
        run(freshdesk)
    with pytest.raises(CommandError, match="either an export folder or"):
        call_command(Command(stdout=io.StringIO()), str(tmp_path), "--domain", "acme.freshdesk.com")
    with pytest.raises(CommandError, match="either an export folder or"):
        call_command(Command(stdout=io.StringIO()))
    assert freshdesk.seen == []
