"""`tiski import-freshdesk`: a Freshdesk API v2 export becomes tickets with their history."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.utils import translation

from tiski.accounts.models import Team, User
from tiski.movein.models import SourceRecord
from tiski.search.service import search_tickets
from tiski.tickets.models import Message, MessageKind, Status, Ticket

from .conftest import FIXTURES

FRESHDESK = FIXTURES / "freshdesk"


def run(folder=FRESHDESK, *args: str):
    from tiski.movein.management.commands.import_freshdesk import Command

    command = Command(stdout=io.StringIO())
    # The log's words are checked in English; the desk's default is Finnish.
    with translation.override("en"):
        call_command(command, str(folder), *args)
    return command.summary


def ticket_for(source_id: str) -> Ticket:
    record = SourceRecord.objects.get(source="freshdesk", kind="ticket", source_id=source_id)
    return Ticket.objects.get(pk=record.object_id)


@pytest.mark.django_db
def test_conversation_with_notes_attachments_and_old_times():
    summary = run(FRESHDESK, "--no-fetch")
    assert summary.counts["tickets_created"] == 4  # 126 is deleted
    ticket = ticket_for("123")
    assert ticket.status == Status.SOLVED
    assert ticket.priority == "high"
    assert ticket.channel == "email"
    assert ticket.type.slug == "question"  # Freshdesk's "Question" is a type here too
    assert ticket.team == Team.objects.get(name="Toimitukset")
    assert ticket.created_at == datetime(2024, 2, 1, 10, tzinfo=UTC)
    assert ticket.first_agent_reply_at == datetime(2024, 2, 1, 11, tzinfo=UTC)
    assert set(ticket.tags.values_list("name", flat=True)) == {"toimitus", "kiireellinen-asia"}
    assert ticket.requester.organisation.name == "Asiakas Oy"
    messages = list(ticket.messages.order_by("created_at", "id"))
    assert [m.kind for m in messages] == [
        MessageKind.INTERNAL,  # where it came from
        MessageKind.CUSTOMER,
        MessageKind.PUBLIC,
        MessageKind.INTERNAL,
        MessageKind.CUSTOMER,
    ]
    assert "FD#123" in messages[0].text and "cf_tilausnumero: T-2024-0042" in messages[0].text
    assert "<b>viikko sitten</b>" in messages[1].html
    assert messages[1].attachments.get().file.read().startswith(b"%PDF")
    # The private note's author left Freshdesk: an inactive user with no address of theirs.
    former = messages[3].author_user
    assert former.name == "Entinen Agentti" and not former.is_active
    assert former.email.endswith("@moved-in.invalid")
    assert any("kuva.jpg" in line for line in summary.problems)
    assert messages[4].created_at == datetime(2024, 2, 3, 12, tzinfo=UTC)


@pytest.mark.django_db
def test_odd_cases_merged_deleted_contact_unknown_status_and_group():
    summary = run(FRESHDESK, "--no-fetch")
    plain = ticket_for("124")
    # An empty HTML description falls back to the plain text one.
    assert plain.messages.filter(kind=MessageKind.CUSTOMER, text__startswith="Laskussa").exists()
    reply = plain.messages.get(kind=MessageKind.PUBLIC)
    assert "onclick" not in reply.html
    # A deleted contact without an address is found by their phone number.
    assert plain.requester.identities.get().kind == "phone"
    merged = ticket_for("125")
    assert merged.status == Status.CLOSED
    assert merged.channel == "phone"
    record = SourceRecord.objects.get(source="freshdesk", kind="ticket", source_id="125")
    assert record.meta["merged_into"] == "124"
    assert merged.requester == plain.requester
    custom = ticket_for("127")
    assert custom.status == Status.OPEN
    assert custom.team is None
    assert "FD#127: status 6 read as open" in summary.problems
    assert any("group 99999" in line for line in summary.problems)
    assert "FD#126: deleted in Freshdesk; left out" in summary.problems


@pytest.mark.django_db
def test_again_is_idempotent_and_old_number_is_searchable(make_user):
    admin = make_user(role="admin")
    run(FRESHDESK, "--no-fetch")
    counts = (Ticket.objects.count(), Message.objects.count(), User.objects.count())
    summary = run(FRESHDESK, "--no-fetch")
    assert summary.counts["tickets_created"] == 0
    assert (Ticket.objects.count(), Message.objects.count(), User.objects.count()) == counts
    hits = search_tickets(admin, "FD#124").hits
    # The ticket merged into 124 names it too.
    assert {hit.ticket.pk for hit in hits} == {ticket_for("124").pk, ticket_for("125").pk}
    assert [hit.ticket.pk for hit in search_tickets(admin, "FD#123").hits] == [ticket_for("123").pk]


@pytest.mark.django_db
def test_attachment_fetched_from_its_url(export_copy, file_server):
    folder = export_copy("freshdesk")
    tickets = folder / "tickets.json"
    tickets.write_text(
        tickets.read_text().replace("https://vanha.freshdesk.example", file_server.url)
    )
    file_server.files["/attachments/5002/kuva.jpg"] = b"\xff\xd8\xff jpeg"
    summary = run(folder)
    last = ticket_for("123").messages.filter(kind=MessageKind.CUSTOMER).order_by("-id").first()
    attachment = last.attachments.get()
    assert attachment.filename == "kuva.jpg" and attachment.content_type == "image/jpeg"
    assert attachment.file.read() == b"\xff\xd8\xff jpeg"
    # kuitti.pdf was in the folder: not fetched.
    assert file_server.requested == ["/attachments/5002/kuva.jpg"]
    assert summary.counts.get("attachments_missing", 0) == 0
