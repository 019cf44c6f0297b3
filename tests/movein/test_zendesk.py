"""`tiski import-zendesk`: a Zendesk export becomes tickets with their whole history."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone, translation

from tiski.accounts.models import Team, User
from tiski.customers.models import Contact, Organisation
from tiski.movein.models import SourceRecord
from tiski.search.service import search_tickets
from tiski.surveys import exclusions
from tiski.surveys.models import SurveyKind
from tiski.tickets.models import Event, Message, MessageKind, Status, Ticket

from .conftest import FIXTURES

ZENDESK = FIXTURES / "zendesk"


def run(folder=ZENDESK, *args: str) -> tuple[str, object]:
    out = io.StringIO()
    from tiski.movein.management.commands.import_zendesk import Command

    command = Command(stdout=out)
    # The log's words are checked in English; the desk's default is Finnish.
    with translation.override("en"):
        call_command(command, str(folder), *args)
    return out.getvalue(), command.summary


def ticket_for(source_id: str) -> Ticket:
    record = SourceRecord.objects.get(source="zendesk", kind="ticket", source_id=source_id)
    return Ticket.objects.get(pk=record.object_id)


@pytest.mark.django_db
def test_tickets_come_in_with_their_conversation_people_and_timestamps():
    output, summary = run(ZENDESK, "--no-fetch")
    assert summary.counts["tickets_created"] == 4  # 12348 was deleted in Zendesk
    assert "ZD#12348: deleted in Zendesk; left out" in summary.problems

    solved = ticket_for("12345")
    assert solved.status == Status.SOLVED
    assert solved.priority == "high"
    assert solved.created_at == datetime(2023, 3, 1, 9, 15, tzinfo=UTC)
    assert solved.first_agent_reply_at == datetime(2023, 3, 2, 13, 45, tzinfo=UTC)
    assert solved.team == Team.objects.get(name="Laskutus")
    assert sorted(solved.tags.values_list("name", flat=True)) == ["lasku", "vip"]
    assert solved.requester.name == "Liisa Asiakas"
    assert solved.requester.organisation == Organisation.objects.get(name="Asiakas Oy")
    kinds = list(solved.messages.order_by("created_at", "id").values_list("kind", flat=True))
    assert kinds == [MessageKind.INTERNAL, MessageKind.CUSTOMER, MessageKind.PUBLIC]
    note = solved.messages.order_by("created_at", "id").first()
    # The reference note names the old number and keeps the custom fields.
    assert "ZD#12345" in note.text and "SOP-42" in note.text and "Tuote: tuote_a" in note.text
    reply = solved.messages.get(kind=MessageKind.PUBLIC)
    assert reply.author_user.email == "anna@vanha.example"
    # An agent who is not a user here becomes one who cannot log in.
    anna = User.objects.get(email="anna@vanha.example")
    assert not anna.is_active and not anna.has_usable_password()
    # Events carry the old times too, not the time of the import.
    assert not solved.events.filter(created_at__year__gte=2024).exists()
    solved_event = Event.objects.get(
        ticket=solved, kind="field", field="status", new_value="solved"
    )
    assert solved_event.created_at == datetime(2023, 3, 2, 14, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_newest_version_html_markdown_private_notes_and_attachments():
    _output, summary = run(ZENDESK, "--no-fetch")
    ticket = ticket_for("12346")
    # The ticket appears twice in the incremental export: the later line wins.
    assert ticket.subject == "Sovellus kaatuu käynnistettäessä"
    assert ticket.status == Status.PENDING
    assert ticket.priority == "urgent"
    assert set(ticket.tags.values_list("name", flat=True)) == {"sovellus", "android"}
    messages = list(ticket.messages.order_by("created_at", "id"))
    first = messages[1]
    assert "<b>käynnistettäessä</b>" in first.html
    assert "script" not in first.html  # sanitised like any incoming HTML
    assert [a.filename for a in first.attachments.all()] == ["kaatuminen.log"]
    assert first.attachments.get().file.read().startswith(b"FATAL")
    # The screenshot is neither in the folder nor fetched: logged, not fatal.
    assert any("kuvakaappaus.png" in line for line in summary.problems)
    note = next(m for m in messages if m.kind == MessageKind.INTERNAL and m.author_user)
    assert note.text.startswith("Tarkistan **lokit**")  # Markdown is kept as written
    # The empty comment is left out and said so.
    assert any("comment 7204 is empty" in line for line in summary.problems)
    assert len([m for m in messages if m.kind == MessageKind.CUSTOMER]) == 2


@pytest.mark.django_db
def test_merged_deleted_users_and_closed_tickets():
    _output, summary = run(ZENDESK, "--no-fetch")
    merged = ticket_for("12347")
    assert merged.status == Status.CLOSED
    record = SourceRecord.objects.get(source="zendesk", kind="ticket", source_id="12347")
    assert record.meta["merged_into"] == "12346"
    assert "ZD#12346" in merged.messages.order_by("id").first().text

    old = ticket_for("12349")
    assert old.status == Status.CLOSED
    assert old.channel == "phone"
    # The deleted user has no address; the ticket keeps them by name.
    assert old.requester.name == "Deleted User"
    assert not old.requester.identities.exists()
    # The description stands in when the export has no comments.
    assert old.messages.filter(kind=MessageKind.CUSTOMER, text__startswith="Kysyin").exists()


@pytest.mark.django_db
def test_running_again_updates_instead_of_duplicating(export_copy):
    folder = export_copy("zendesk")
    run(folder, "--no-fetch")
    counts = (Ticket.objects.count(), Message.objects.count(), Contact.objects.count())
    users = User.objects.count()
    # The export taken again later: one more comment, a new tag, new status.
    comments = folder / "comments" / "12346.json"
    text = comments.read_text()
    later = (
        '{"id": 7206, "author_id": 361, "body": "Korjattu versiossa 2.3.2.", '
        '"html_body": "<p>Korjattu versiossa 2.3.2.</p>", "public": true, '
        '"created_at": "2023-04-14T10:00:00Z", "attachments": []}\n], "next_page"'
    )
    comments.write_text(text.replace('\n], "next_page"', ",\n" + later))
    tickets = folder / "tickets.json"
    tickets.write_text(
        tickets.read_text()
        .replace(
            '"status": "pending", "priority": "urgent"', '"status": "solved", "priority": "urgent"'
        )
        .replace('["sovellus", "android"]', '["sovellus", "android", "korjattu"]')
    )
    _output, summary = run(folder, "--no-fetch")
    assert summary.counts["tickets_created"] == 0
    assert Ticket.objects.count() == counts[0]
    assert Message.objects.count() == counts[1] + 1
    assert Contact.objects.count() == counts[2]
    assert User.objects.count() == users
    ticket = ticket_for("12346")
    assert ticket.status == Status.SOLVED
    assert "korjattu" in ticket.tags.values_list("name", flat=True)
    assert ticket.last_agent_reply_at == datetime(2023, 4, 14, 10, tzinfo=UTC)


@pytest.mark.django_db
def test_existing_agents_are_matched_and_assigned(make_user):
    pekka = make_user(email="pekka@tiski.example", name="Pekka")
    anna = make_user(email="anna@vanha.example", name="Anna")
    run(ZENDESK, "--no-fetch")
    assert ticket_for("12345").assignee == anna
    assert ticket_for("12347").messages.filter(author_user=pekka).exists()
    assert User.objects.filter(is_active=False).count() == 0


@pytest.mark.django_db
def test_no_mail_goes_out_for_history(mailbox):
    run(ZENDESK, "--no-fetch")
    assert mail.outbox == []


@pytest.mark.django_db
def test_imported_tickets_are_never_surveyed():
    run(ZENDESK, "--no-fetch")
    ticket = ticket_for("12345")
    candidate = exclusions.gather(
        ticket.requester, ticket, kind=SurveyKind.CSAT, cooldown_days=0, now=timezone.now()
    )
    assert candidate.imported
    assert exclusions.reason(candidate)


@pytest.mark.django_db
def test_old_number_finds_the_ticket(make_user):
    agent = make_user(role="admin")
    run(ZENDESK, "--no-fetch")
    results = search_tickets(agent, "ZD#12345")
    assert [hit.ticket.pk for hit in results.hits] == [ticket_for("12345").pk]


@pytest.mark.django_db
def test_attachment_urls_are_fetched_and_a_404_is_logged(export_copy, file_server):
    folder = export_copy("zendesk")
    comments = folder / "comments" / "12346.json"
    comments.write_text(comments.read_text().replace("https://vanha.zendesk.com", file_server.url))
    (folder / "attachments" / "9001" / "kaatuminen.log").unlink()
    file_server.files["/attachments/token/abc/?name=kaatuminen.log"] = b"fetched log"
    _output, summary = run(folder)
    first = ticket_for("12346").messages.filter(kind=MessageKind.CUSTOMER).order_by("id").first()
    assert first.attachments.get().file.read() == b"fetched log"
    assert summary.counts["attachments_missing"] == 1
    assert any("kuvakaappaus.png" in line and "404" in line for line in summary.problems)
    assert len(file_server.requested) == 2


@pytest.mark.django_db
def test_comments_from_audits_and_the_log_file(tmp_path):
    """An export with audits instead of comments; the log goes to a file."""
    folder = tmp_path / "zd"
    folder.mkdir()
    (folder / "users.json").write_text(
        '{"users": [{"id": 5, "name": "Aino", "email": "aino@asiakas.example", '
        '"role": "end-user", "active": true}]}'
    )
    (folder / "tickets.json").write_text(
        '{"tickets": [{"id": 77, "subject": "Audit", "status": "open", "requester_id": 5, '
        '"group_id": 404, "created_at": "2022-06-01T10:00:00Z", '
        '"updated_at": "2022-06-01T10:00:00Z"}], "end_of_stream": true}'
    )
    (folder / "ticket_audits.json").write_text(
        '{"audits": [{"id": 1, "ticket_id": 77, "author_id": 5, '
        '"created_at": "2022-06-01T10:00:00Z", "events": [{"id": 501, "type": "Comment", '
        '"body": "Hei auditista", "public": true, "attachments": []}, '
        '{"id": 502, "type": "Change", "field_name": "status", "value": "open"}]}]}'
    )
    log = tmp_path / "log.txt"
    output, summary = run(folder, "--log", str(log))
    ticket = ticket_for("77")
    message = ticket.messages.get(kind=MessageKind.CUSTOMER)
    assert message.text == "Hei auditista"
    assert message.created_at == datetime(2022, 6, 1, 10, tzinfo=UTC)
    assert message.author_contact.name == "Aino"
    assert "group 404 is not in the export; no team" in log.read_text()
    assert str(log) in output


@pytest.mark.django_db
def test_a_ticket_that_fails_is_logged_and_the_rest_come_in(monkeypatch):
    from tiski.movein import writer

    real = writer.add_message

    def refusing(ticket, **kwargs):
        if "Sama vika" in kwargs.get("html", "") + kwargs.get("text", ""):
            raise ValidationError("refused for the test")
        return real(ticket, **kwargs)

    monkeypatch.setattr(writer, "add_message", refusing)
    _output, summary = run(ZENDESK, "--no-fetch")
    assert summary.counts["tickets_failed"] == 1
    assert summary.counts["tickets_created"] == 3
    assert any(line.startswith("ZD#12347 not imported") for line in summary.problems)
    assert not SourceRecord.objects.filter(kind="ticket", source_id="12347").exists()
    assert not Ticket.objects.filter(subject="Sovellus ei käynnisty").exists()
    # The next run brings it in.
    monkeypatch.setattr(writer, "add_message", real)
    _output, summary = run(ZENDESK, "--no-fetch")
    assert summary.counts["tickets_created"] == 1
    assert ticket_for("12347").status == Status.CLOSED


def test_help_text_renders():
    from tiski.movein.management.commands import import_freshdesk, import_zendesk

    for module in (import_zendesk, import_freshdesk):
        text = module.Command().create_parser("tiski", "import").format_help()
        assert "--no-fetch" in text
