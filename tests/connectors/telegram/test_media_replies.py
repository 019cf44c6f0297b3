"""Files on a reply go to the Telegram chat by sendPhoto / sendDocument (multipart),
within the channel's size limit shown in the composer."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from tiski.connectors.messaging import outbox
from tiski.connectors.models import MessageStatus, OutboundMessage
from tiski.tickets.models import MessageKind, Ticket

from ..provider import FakeApi
from ..replies import reply
from .conftest import TOKEN, text_update

pytestmark = pytest.mark.django_db(transaction=True)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n" + b"\x00\xff" * 300


@pytest.fixture
def tg_ticket(post_update):
    assert post_update(text_update(810001, 31, "Lähetättekö kuvan?")).status_code == 200
    return Ticket.objects.get()


def calls(fake_api, method):
    return [r for r in fake_api.requests if r["path"] == f"/bot{TOKEN}/{method}"]


def test_an_image_goes_by_send_photo_with_the_text_as_its_caption(
    agent_client, tg_ticket, fake_api
):
    image = SimpleUploadedFile("kuva.png", PNG, content_type="image/png")
    assert reply(agent_client, tg_ticket, "Tässä kuva.", image).status_code == 302

    [sent] = calls(fake_api, "sendPhoto")
    assert sent["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    parts = FakeApi.form_parts(sent)
    assert parts["chat_id"][2] == b"5550001"
    assert parts["caption"][2].decode() == "Tässä kuva."
    assert parts["photo"] == ("kuva.png", "image/png", PNG)
    assert not calls(fake_api, "sendMessage")
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.SENT and row.provider_message_id == "5550001:900"


def test_a_document_goes_by_send_document_and_a_long_text_after_it(
    agent_client, tg_ticket, fake_api
):
    text = "Lasku liitteenä. " * 80  # over the 1024-character caption limit
    pdf = SimpleUploadedFile("lasku.pdf", PDF, content_type="application/pdf")
    assert reply(agent_client, tg_ticket, text, pdf).status_code == 302

    [document] = calls(fake_api, "sendDocument")
    parts = FakeApi.form_parts(document)
    assert parts["document"] == ("lasku.pdf", "application/pdf", PDF)
    assert "caption" not in parts
    [message] = calls(fake_api, "sendMessage")
    assert json.loads(message["body"])["text"] == text.strip()
    assert fake_api.requests.index(document) < fake_api.requests.index(message)


def test_a_retry_sends_only_what_did_not_go(agent_client, tg_ticket, fake_api):
    """The file went, the text met a 503: the retry sends the text, not the file again."""
    fake_api.answer(
        (200, {"ok": True, "result": {"message_id": 901}}),
        (503, {"ok": False, "error_code": 503, "description": "Service Unavailable"}),
        (200, {"ok": True, "result": {"message_id": 902}}),
    )
    pdf = SimpleUploadedFile("lasku.pdf", PDF, content_type="application/pdf")
    reply(agent_client, tg_ticket, "x" * 2000, pdf)
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.RETRYING
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        outbox.send_message(row.pk)
    row.refresh_from_db()
    assert row.status == MessageStatus.SENT and row.provider_message_id == "5550001:902"
    assert len(calls(fake_api, "sendDocument")) == 1
    assert len(calls(fake_api, "sendMessage")) == 2


def test_the_composer_shows_the_file_limit_and_a_too_big_file_is_refused(
    agent_client, tg_ticket, fake_api, settings
):
    settings.TISKI_MESSAGING_MAX_MEDIA_BYTES = 1000
    page = agent_client.get(tg_ticket.get_absolute_url()).content.decode()
    assert 'id="file-limits"' in page and "1000" in page

    big = SimpleUploadedFile("iso.pdf", PDF * 3, content_type="application/pdf")
    response = reply(agent_client, tg_ticket, "Iso tiedosto", big)

    assert response.status_code == 400
    html = response.content.decode()
    assert "iso.pdf" in html and ("Nothing was sent" in html or "Mitään ei lähetetty" in html)
    assert "Iso tiedosto" in html  # the draft is kept
    assert not tg_ticket.messages.filter(kind=MessageKind.PUBLIC).exists()
    assert not OutboundMessage.objects.exists()
    assert not calls(fake_api, "sendDocument")
