"""The public request form: a ticket through the actions, and spam refused."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from tiski.connectors.models import OutboundEmail, OutboundKind
from tiski.portal.webform import TIMESTAMP_SALT
from tiski.tickets.models import Channel, Ticket


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    cache.clear()
    settings.TISKI_WEB_FORM_MIN_SECONDS = 3
    settings.TISKI_WEB_FORM_PER_HOUR = 5


def _started(seconds_ago: float = 10) -> str:
    return signing.TimestampSigner(salt=TIMESTAMP_SALT).sign(str(time.time() - seconds_ago))


def _data(**extra):
    data = {
        "name": "Liisa Asiakas",
        "email": "liisa@asiakas.example",
        "subject": "Laskun eräpäivä",
        "description": "Voinko siirtää eräpäivää?",
        "website": "",
        "started": _started(),
    }
    data.update(extra)
    return data


def test_form_creates_a_web_form_ticket_with_contact_and_acknowledgement(client, db, mailbox):
    mailbox.auto_acknowledge = True
    mailbox.save()
    upload = SimpleUploadedFile("kuva.txt", b"liite", content_type="text/plain")
    response = client.post("/help/fi/request/", {**_data(), "attachments": [upload]})
    assert response.status_code == 302
    assert response["Location"] == "/help/fi/request/sent/"
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WEB_FORM
    assert ticket.subject == "Laskun eräpäivä"
    assert ticket.requester.name == "Liisa Asiakas"
    assert ticket.requester.identities.get().value == "liisa@asiakas.example"
    message = ticket.messages.get()
    assert message.text == "Voinko siirtää eräpäivää?"
    assert message.attachments.get().filename == "kuva.txt"
    ack = OutboundEmail.objects.get(ticket=ticket, kind=OutboundKind.ACKNOWLEDGEMENT)
    assert ack.to == ["liisa@asiakas.example"] or "liisa@asiakas.example" in str(ack.to)
    sent = client.get("/help/fi/request/sent/")
    assert f"#{ticket.number}" in sent.content.decode()


def test_honeypot_is_refused_without_a_ticket(client, db):
    response = client.post("/help/fi/request/", _data(website="http://spam.example"))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_too_fast_submission_is_refused(client, db):
    response = client.post("/help/fi/request/", _data(started=_started(seconds_ago=0)))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_forged_timestamp_is_refused(client, db):
    response = client.post("/help/fi/request/", _data(started="123:forged"))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_rate_limit_per_ip(client, db, settings):
    settings.TISKI_WEB_FORM_PER_HOUR = 2
    for n in range(2):
        assert client.post("/help/fi/request/", _data(email=f"a{n}@x.example")).status_code == 302
    response = client.post("/help/fi/request/", _data(email="a9@x.example"))
    assert response.status_code == 429
    assert Ticket.objects.count() == 2


def test_invalid_form_is_shown_again_with_errors(client, db):
    response = client.post("/help/fi/request/", _data(email="not an address"))
    assert response.status_code == 400
    assert not Ticket.objects.exists()
    assert "Laskun eräpäivä" in response.content.decode()


def test_suggestions_while_typing_show_only_public_articles(client, kb):
    """A whole sentence finds the article by its words; internal ones never appear."""
    subject = "Voinko siirtää eräpäivää myöhemmäksi?"
    body = client.get("/help/fi/request/suggest/", {"subject": subject}).content.decode()
    assert kb.published.slug in body
    body = client.get(
        "/help/fi/request/suggest/", {"subject": "laskujen mitätöinti"}
    ).content.decode()
    assert kb.internal.slug not in body and kb.published.slug in body


def test_this_solved_it_counts_a_deflection_and_makes_no_ticket(client, kb):
    url = f"/help/fi/request/solved/{kb.published.slug}/"
    response = client.post(url)
    assert response.status_code == 200 and "hc-solved-thanks" in response.content.decode()
    kb.published.article.refresh_from_db()
    assert kb.published.article.deflections == 1
    assert not Ticket.objects.exists()
    # Not for an article the public may not see.
    assert client.post(f"/help/fi/request/solved/{kb.internal.slug}/").status_code == 404


def test_a_submission_is_stored_first_and_survives_a_failed_ticket_write(
    client, db, mailbox, monkeypatch
):
    """The ticket write fails: the customer is still told it was received, the
    submission waits as a receipt, and the sweeper makes the ticket later."""
    from tiski.connectors import tasks
    from tiski.connectors.models import InboundReceipt, ReceiptStatus
    from tiski.connectors.webform import intake

    real = intake.actions.create_ticket

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(intake.actions, "create_ticket", broken)
    upload = SimpleUploadedFile("kuva.txt", b"liite", content_type="text/plain")
    response = client.post("/help/fi/request/", {**_data(), "attachments": [upload]})
    assert response.status_code == 302
    assert not Ticket.objects.exists()
    receipt = InboundReceipt.objects.get()
    assert receipt.channel == Channel.WEB_FORM and receipt.status == ReceiptStatus.PENDING
    sent = client.get("/help/fi/request/sent/").content.decode()
    assert "#" not in sent.split('role="status"')[1].split("</p>")[0]

    monkeypatch.setattr(intake.actions, "create_ticket", real)
    assert tasks.sweep_pending(older_than_seconds=0) == 1
    ticket = Ticket.objects.get()
    assert ticket.subject == "Laskun eräpäivä" and ticket.channel == Channel.WEB_FORM
    assert ticket.messages.get().attachments.get().filename == "kuva.txt"
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.PROCESSED and receipt.ticket == ticket
    # Run again, nothing more: the receipt made its ticket once.
    assert tasks.sweep_pending(older_than_seconds=0) == 0
    assert Ticket.objects.count() == 1
