"""`tiski import-zendesk --url ...`: the history read from Zendesk's API, page by page.

A loopback server answers as Zendesk's API does (Incremental Exports,
Ticket Comments, Users, Organizations, Groups, Ticket Fields; shapes from
Zendesk's published API reference), with a 429 and its Retry-After, a 500,
an attachment that is gone and a deleted user on the way.
"""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tiski.accounts.models import Team, User
from tiski.customers.models import Contact, Organisation
from tiski.movein import api
from tiski.movein.models import ExportPosition, SourceRecord
from tiski.tickets.models import Message, MessageKind, Status, Ticket

from .vendor_server import Reply, VendorServer

TOKEN = "zd-token-6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"
AUTHORIZATION = "Basic " + base64.b64encode(f"admin@vanha.example/token:{TOKEN}".encode()).decode()
TICKETS = "/api/v2/incremental/tickets/cursor.json"


def user(id: int, name: str, email: str | None, role: str = "end-user", **more: Any) -> dict:
    return {"id": id, "name": name, "email": email, "role": role, "active": True, **more}


def comment(id: int, author: int, body: str, at: str, **more: Any) -> dict:
    return {
        "id": id,
        "type": "Comment",
        "author_id": author,
        "body": body,
        "html_body": f"<p>{body}</p>",
        "public": True,
        "created_at": at,
        "attachments": [],
        **more,
    }


def ticket(id: int, subject: str, status: str, requester: int, at: str, **more: Any) -> dict:
    return {
        "id": id,
        "url": f"https://vanha.zendesk.com/api/v2/tickets/{id}.json",
        "subject": subject,
        "status": status,
        "priority": "normal",
        "requester_id": requester,
        "submitter_id": requester,
        "assignee_id": None,
        "group_id": None,
        "tags": [],
        "custom_fields": [],
        "via": {"channel": "email"},
        "created_at": at,
        "updated_at": at,
        **more,
    }


class FakeZendesk(VendorServer):
    """Three tickets in two export pages; comments of ticket 1 on two pages."""

    def __init__(self) -> None:
        super().__init__(AUTHORIZATION)
        self.later: list[dict] = []  # what changed after the first export
        self.files["/attachments/token/abc/"] = b"FATAL: out of memory"
        self.routes.update(
            {
                "/api/v2/organizations.json": self.organizations,
                "/api/v2/groups.json": lambda q: {
                    "groups": [{"id": 301, "name": "Laskutus"}],
                    "next_page": None,
                    "count": 1,
                },
                "/api/v2/incremental/users/cursor.json": lambda q: {
                    "users": [
                        user(201, "Anna Agentti", "anna@vanha.example", "agent"),
                        user(101, "Liisa Asiakas", "liisa@asiakas.example", organization_id=501),
                        # Deleted in Zendesk: the export keeps the row, inactive.
                        {**user(102, "Deleted User", None), "active": False},
                    ],
                    "after_cursor": "u1",
                    "end_of_stream": True,
                },
                "/api/v2/ticket_fields.json": lambda q: {
                    "ticket_fields": [{"id": 360001, "title": "Tilausnumero", "type": "text"}]
                },
                TICKETS: self.tickets,
                "/api/v2/tickets/1/comments.json": self.comments_of_1,
                "/api/v2/tickets/2/comments.json": lambda q: {
                    "comments": [comment(21, 102, "Lasku on väärin.", "2023-05-02T09:00:00Z")],
                    "meta": {"has_more": False},
                    "links": {"next": None},
                },
                "/api/v2/tickets/3/comments.json": lambda q: {
                    "comments": [comment(31, 101, "Soitin eilen.", "2023-05-03T09:00:00Z")],
                    "next_page": None,
                },
            }
        )

    def organizations(self, query: dict[str, str]) -> dict:
        # Cursor pagination, one a page, to make it take two pages.
        if query.get("page[after]") == "o1":
            return {
                "organizations": [{"id": 502, "name": "Yritys Oy"}],
                "meta": {"has_more": False, "after_cursor": None},
                "links": {"next": None},
            }
        return {
            "organizations": [{"id": 501, "name": "Asiakas Oy"}],
            "meta": {"has_more": True, "after_cursor": "o1"},
            "links": {"next": f"{self.url}/api/v2/organizations.json?page[size]=1&page[after]=o1"},
        }

    def tickets(self, query: dict[str, str]) -> dict:
        if "start_time" in query:
            return {
                "tickets": [
                    ticket(
                        1,
                        "Kaatuu käynnistettäessä",
                        "open",
                        101,
                        "2023-05-01T08:00:00Z",
                        group_id=301,
                        tags=["sovellus"],
                        custom_fields=[{"id": 360001, "value": "T-1"}],
                    ),
                    ticket(2, "Väärä lasku", "solved", 102, "2023-05-02T09:00:00Z"),
                ],
                "after_url": f"{self.url}{TICKETS}?cursor=c1",
                "after_cursor": "c1",
                "before_url": None,
                "before_cursor": None,
                "end_of_stream": False,
            }
        if query.get("cursor") == "c1":
            return {
                "tickets": [
                    ticket(
                        3,
                        "Soittopyyntö",
                        "pending",
                        101,
                        "2023-05-03T09:00:00Z",
                        via={"channel": "voice"},
                    )
                ],
                "after_url": f"{self.url}{TICKETS}?cursor=c2",
                "after_cursor": "c2",
                "end_of_stream": True,
            }
        return {
            "tickets": self.later,
            "after_url": f"{self.url}{TICKETS}?cursor=c3",
            "after_cursor": "c3" if self.later else query.get("cursor"),
            "end_of_stream": True,
        }

    def comments_of_1(self, query: dict[str, str]) -> dict:
        attachments = [
            {
                "id": 9001,
                "file_name": "kaatuminen.log",
                "content_url": f"{self.url}/attachments/token/abc/?name=kaatuminen.log",
                "content_type": "text/plain",
                "size": 20,
            },
            {
                "id": 9002,
                "file_name": "kuvakaappaus.png",
                "content_url": f"{self.url}/attachments/token/gone/?name=kuvakaappaus.png",
                "content_type": "image/png",
                "size": 2048,
            },
        ]
        if query.get("page[after]") != "k1":
            return {
                "comments": [
                    comment(
                        11, 101, "Sovellus kaatuu.", "2023-05-01T08:00:00Z", attachments=attachments
                    )
                ],
                "meta": {"has_more": True, "after_cursor": "k1"},
                "links": {"next": f"{self.url}/api/v2/tickets/1/comments.json?page[after]=k1"},
            }
        more = [
            comment(12, 201, "Mikä versio?", "2023-05-01T09:00:00Z"),
            comment(13, 201, "Tarkistan lokit.", "2023-05-01T09:05:00Z", public=False),
        ]
        if self.later:
            more.append(comment(14, 201, "Korjattu.", "2023-06-01T10:00:00Z"))
        return {"comments": more, "meta": {"has_more": False}, "links": {"next": None}}


@pytest.fixture
def zendesk(monkeypatch) -> Any:
    server = FakeZendesk()
    waits: list[float] = []
    # Seen, not slept: the test checks which waits the import chose.
    monkeypatch.setattr(api, "sleep", waits.append)
    monkeypatch.setenv("ZENDESK_TOKEN", TOKEN)
    server.waits = waits
    yield server
    server.close()


def run(server: FakeZendesk, *args: str) -> tuple[str, Any]:
    from tiski.movein.management.commands.import_zendesk import Command

    command = Command(stdout=io.StringIO())
    options = [
        "--url",
        server.url,
        "--email",
        "admin@vanha.example",
        "--token-env",
        "ZENDESK_TOKEN",
    ]
    call_command(command, *options, *args)
    return command.stdout.getvalue(), command.summary


def ticket_for(source_id: str) -> Ticket:
    record = SourceRecord.objects.get(source="zendesk", kind="ticket", source_id=source_id)
    return Ticket.objects.get(pk=record.object_id)


@pytest.mark.django_db
def test_the_whole_history_comes_in_through_limits_failures_and_pages(zendesk):
    """Every page of every list is read; a 429 waits its Retry-After, a 500 is tried again."""
    zendesk.first[TICKETS] = [
        Reply(200, zendesk.tickets({"start_time": "0"})),  # the first page goes through
        Reply(429, {"error": "TooManyRequests"}, {"Retry-After": "7"}),
    ]
    zendesk.first["/api/v2/tickets/2/comments.json"] = [Reply(500, {"error": "Internal"})]
    output, summary = run(zendesk)

    assert summary.counts["tickets_created"] == 3
    # The 500 on ticket 2's comments: the first backoff; the 429: its Retry-After.
    assert zendesk.waits == [1.0, 7.0]
    assert "seconds waited" in output
    # Every API call carried the token; the attachment URLs got no credentials.
    assert {s.authorization for s in zendesk.seen if s.path.startswith("/api/")} == {AUTHORIZATION}
    assert {s.authorization for s in zendesk.seen if s.path.startswith("/attachments/")} == {None}

    first = ticket_for("1")
    assert first.team == Team.objects.get(name="Laskutus")
    assert first.requester.organisation == Organisation.objects.get(name="Asiakas Oy")
    assert Organisation.objects.filter(name="Yritys Oy").exists()  # the second page
    assert first.created_at == datetime(2023, 5, 1, 8, tzinfo=UTC)
    messages = list(first.messages.order_by("created_at", "id"))
    assert [m.kind for m in messages] == [
        MessageKind.INTERNAL,  # "Moved in from Zendesk: ZD#1", with the custom field
        MessageKind.CUSTOMER,
        MessageKind.PUBLIC,  # the comments' second page
        MessageKind.INTERNAL,
    ]
    assert "ZD#1" in messages[0].text and "Tilausnumero: T-1" in messages[0].text
    assert messages[1].attachments.get().file.read() == b"FATAL: out of memory"
    anna = messages[2].author_user
    assert anna.email == "anna@vanha.example" and not anna.is_active
    # The screenshot's URL is gone: logged, the rest came in.
    assert summary.counts["attachments_missing"] == 1
    assert any("kuvakaappaus.png" in line and "404" in line for line in summary.problems)

    # The deleted user's ticket, read after a 500: kept under their name, no address.
    second = ticket_for("2")
    assert second.status == Status.SOLVED
    assert second.requester.name == "Deleted User"
    assert not second.requester.identities.exists()
    said = second.messages.get(kind=MessageKind.CUSTOMER)
    assert "Lasku on väärin." in said.html and said.author_contact == second.requester

    third = ticket_for("3")
    assert (third.status, third.channel) == (Status.PENDING, "phone")
    # The cursor after the last page is kept for the next run.
    assert ExportPosition.objects.get(source="zendesk").position == "c2"


@pytest.mark.django_db
def test_a_second_run_reads_only_what_changed_and_updates(zendesk):
    run(zendesk)
    counts = (Ticket.objects.count(), Message.objects.count(), Contact.objects.count())
    users = User.objects.count()
    zendesk.later = [
        ticket(1, "Kaatuu käynnistettäessä", "solved", 101, "2023-05-01T08:00:00Z", group_id=301)
    ]
    before = len(zendesk.asked(TICKETS))
    _output, summary = run(zendesk)

    # The export continued from the saved cursor, not from the beginning.
    assert [s.query for s in zendesk.asked(TICKETS)[before:]] == [{"cursor": "c2"}]
    assert summary.counts["tickets_created"] == 0
    assert summary.counts["tickets_updated"] == 1
    assert Ticket.objects.count() == counts[0]
    assert Message.objects.count() == counts[1] + 1  # comment 14 only
    assert (Contact.objects.count(), User.objects.count()) == (counts[2], users)
    assert ticket_for("1").status == Status.SOLVED
    assert ExportPosition.objects.get(source="zendesk").position == "c3"


@pytest.mark.django_db
def test_a_run_that_stops_halfway_continues_where_it_stopped(zendesk):
    # Zendesk answers the second page with nothing but 500s, more times than the import tries.
    zendesk.first[TICKETS] = [Reply(200, zendesk.tickets({"start_time": "0"}))] + [
        Reply(503, {"error": "Unavailable"}) for _ in range(api.ATTEMPTS)
    ]
    with pytest.raises(CommandError, match="Run the same command again"):
        run(zendesk)
    assert set(SourceRecord.objects.filter(kind="ticket").values_list("source_id", flat=True)) == {
        "1",
        "2",
    }
    assert ExportPosition.objects.get(source="zendesk").position == "c1"
    assert zendesk.waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0]  # backoff, capped at a minute

    before = len(zendesk.asked(TICKETS))
    _output, summary = run(zendesk)
    assert [s.query for s in zendesk.asked(TICKETS)[before:]] == [{"cursor": "c1"}]
    assert summary.counts["tickets_created"] == 1
    assert ticket_for("3").status == Status.PENDING
    assert Ticket.objects.count() == 3


@pytest.mark.django_db
def test_restart_and_since_read_from_the_beginning_or_a_date(zendesk):
    run(zendesk)
    before = len(zendesk.asked(TICKETS))
    run(zendesk, "--since", "2023-05-02")
    assert zendesk.asked(TICKETS)[before].query == {"start_time": "1682985600"}
    before = len(zendesk.asked(TICKETS))
    _output, summary = run(zendesk, "--restart")
    assert zendesk.asked(TICKETS)[before].query == {"start_time": "0"}
    assert summary.counts["tickets_created"] == 0  # read again, nothing duplicated
    assert Ticket.objects.count() == 3


@pytest.mark.django_db
def test_a_timeout_is_tried_again(zendesk, monkeypatch):
    monkeypatch.setattr(api, "TIMEOUT", 0.2)
    zendesk.first["/api/v2/ticket_fields.json"] = [Reply(200, {"ticket_fields": []}, delay=1.0)]
    _output, summary = run(zendesk)
    assert len(zendesk.asked("/api/v2/ticket_fields.json")) == 2
    assert zendesk.waits == [1.0]
    # The second answer named the field.
    assert "Tilausnumero: T-1" in ticket_for("1").messages.order_by("id").first().text


@pytest.mark.django_db
def test_a_wrong_token_stops_at_once_and_says_so(zendesk, monkeypatch):
    monkeypatch.setenv("ZENDESK_TOKEN", "wrong")
    with pytest.raises(CommandError, match="401"):
        run(zendesk)
    assert zendesk.waits == []  # a refusal is not waited for
    assert len(zendesk.seen) == 1


@pytest.mark.django_db
def test_the_token_comes_from_a_file_or_the_environment_never_the_command_line(
    zendesk, tmp_path, monkeypatch
):
    from tiski.movein.management.commands.import_zendesk import Command

    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    command = Command(stdout=io.StringIO())
    call_command(
        command,
        "--url",
        zendesk.url,
        "--email",
        "admin@vanha.example",
        "--token-file",
        str(token_file),
    )
    assert command.summary.counts["tickets_created"] == 3
    monkeypatch.delenv("ZENDESK_TOKEN")
    with pytest.raises(CommandError, match="--token-env NAME or --token-file PATH"):
        run(zendesk)
    with pytest.raises(CommandError):
        call_command(Command(stdout=io.StringIO()), "--url", zendesk.url, "--token", TOKEN)
    with pytest.raises(CommandError, match="No such file"):
        call_command(Command(stdout=io.StringIO()), "--url", zendesk.url, "--token-file", "/nope")
    with pytest.raises(CommandError, match="single name"):
        call_command(
            Command(stdout=io.StringIO()),
            "--subdomain",
            "evil.example/x",
            "--token-file",
            str(token_file),
        )


@pytest.mark.django_db
def test_private_addresses_are_refused_outside_tests(zendesk, settings):
    settings.TISKI_HTTP_ALLOW_PRIVATE = False
    with pytest.raises(CommandError, match="private or reserved address"):
        run(zendesk)
    assert zendesk.seen == []
