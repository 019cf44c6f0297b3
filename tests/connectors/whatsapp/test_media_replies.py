"""Files on a WhatsApp reply: uploaded to /media, then sent as image or document;
a type WhatsApp does not carry is refused in the desk, nothing lost."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tiski.connectors.models import MessageStatus, OutboundMessage
from tiski.tickets.models import MessageKind, Ticket

from ..provider import FakeApi
from ..replies import reply
from .conftest import ACCESS_TOKEN, PHONE_NUMBER_ID, text_hook

pytestmark = pytest.mark.django_db(transaction=True)

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n" + b"\x00\xfe" * 200


@pytest.fixture
def wa_ticket(post_hook, fake_api):
    assert post_hook(text_hook("wamid.IN7", "Voitteko lähettää kuitin?")).status_code == 200
    fake_api.routes["/media"] = (200, json.dumps({"id": "media-77"}).encode(), {})
    return Ticket.objects.get()


def test_an_image_is_uploaded_then_sent_with_the_text_as_caption(agent_client, wa_ticket, fake_api):
    image = SimpleUploadedFile("kuitti.jpg", JPEG, content_type="image/jpeg")
    assert reply(agent_client, wa_ticket, "Kuitti tässä.", image).status_code == 302

    upload, send = fake_api.requests[-2:]
    assert upload["path"] == f"/v21.0/{PHONE_NUMBER_ID}/media"
    assert upload["headers"]["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    parts = FakeApi.form_parts(upload)
    assert parts["messaging_product"][2] == b"whatsapp"
    assert parts["type"][2] == b"image/jpeg"
    assert parts["file"] == ("kuitti.jpg", "image/jpeg", JPEG)
    assert send["path"] == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert json.loads(send["body"]) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "358401234567",
        "type": "image",
        "image": {"id": "media-77", "caption": "Kuitti tässä."},
    }
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.SENT and row.attachments[0]["sent"] == "wamid.OUT1"


def test_a_pdf_goes_as_a_document_with_its_file_name(agent_client, wa_ticket, fake_api):
    pdf = SimpleUploadedFile("sopimus.pdf", PDF, content_type="application/pdf")
    assert reply(agent_client, wa_ticket, "", pdf).status_code == 302
    body = json.loads(fake_api.requests[-1]["body"])
    assert body["type"] == "document"
    assert body["document"] == {"id": "media-77", "filename": "sopimus.pdf"}


def test_a_type_whatsapp_does_not_carry_is_refused_before_anything_is_written(
    agent_client, wa_ticket, fake_api
):
    page = agent_client.get(wa_ticket.get_absolute_url()).content.decode()
    assert 'id="file-limits"' in page and "PDF" in page
    before = len(fake_api.requests)
    archive = SimpleUploadedFile("kuvat.zip", b"PK\x03\x04" * 10, content_type="application/zip")

    response = reply(agent_client, wa_ticket, "Kuvat pakattuna", archive)

    assert response.status_code == 400
    html = response.content.decode()
    assert "kuvat.zip" in html and "application/zip" in html
    assert "Kuvat pakattuna" in html
    assert not wa_ticket.messages.filter(kind=MessageKind.PUBLIC).exists()
    assert len(fake_api.requests) == before
