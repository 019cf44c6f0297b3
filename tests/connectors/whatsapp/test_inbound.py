"""WhatsApp webhooks posted to the number's real URL: verification, messages, faults."""

from __future__ import annotations

import json

import pytest

from tiski.connectors.models import InboundReceipt, ReceiptStatus
from tiski.customers.models import Identity, IdentityKind
from tiski.tickets.models import Channel, Message, Ticket

from .conftest import ACCESS_TOKEN, VERIFY_TOKEN, message_hook, text_hook

pytestmark = pytest.mark.django_db(transaction=True)


def test_verification_challenge(client, account):
    url = f"/whatsapp/{account.pk}/webhook/"
    ok = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                          "hub.challenge": "1158201444"})  # fmt: skip
    assert ok.status_code == 200 and ok.content == b"1158201444"
    wrong = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "nope",
                             "hub.challenge": "1158201444"})  # fmt: skip
    assert wrong.status_code == 403 and b"1158201444" not in wrong.content


def test_text_message_opens_a_ticket_on_the_phone_contact(post_hook, team):
    assert post_hook(text_hook("wamid.IN1", "Hei, laskussani on virhe")).status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WHATSAPP and ticket.team == team
    assert ticket.requester.name == "Aino Korhonen"
    identity = Identity.objects.get(contact=ticket.requester)
    assert (identity.kind, identity.value) == (IdentityKind.PHONE, "+358401234567")
    assert ticket.messages.get().external_id == "wamid.IN1"


def test_unsigned_401_badly_signed_403_and_nothing_written(post_hook):
    assert post_hook(text_hook("wamid.IN1", "Hei"), sign="").status_code == 401
    assert post_hook(text_hook("wamid.IN1", "Hei"), sign="sha256=" + "0" * 64).status_code == 403
    assert not InboundReceipt.objects.exists() and not Ticket.objects.exists()


def test_malformed_is_400_and_quarantined(post_hook):
    assert post_hook(raw=b"[1, 2").status_code == 400
    assert (
        post_hook({"entry": [{"changes": [{"value": {"messages": [{"id": "x"}]}}]}]}).status_code
        == 400
    )
    assert [r.status for r in InboundReceipt.objects.all()] == [ReceiptStatus.QUARANTINED] * 2
    assert not Ticket.objects.exists()


def test_duplicate_delivery_is_one_message(post_hook):
    hook = text_hook("wamid.IN1", "Hei")
    post_hook(hook)
    post_hook(hook)
    assert Message.objects.count() == 1 and InboundReceipt.objects.count() == 1


def test_location_contacts_and_reaction_are_shown_as_text(post_hook):
    place = {"latitude": 60.1699, "longitude": 24.9384,
             "name": "Toimisto", "address": "Mannerheimintie 1"}  # fmt: skip
    post_hook(message_hook("wamid.L1", "location", place))
    post_hook(message_hook("wamid.C1", "contacts", None, contacts=[
        {"name": {"formatted_name": "Pekka Virtanen", "first_name": "Pekka"},
         "phones": [{"phone": "+358 40 765 4321", "type": "CELL"}]}]))  # fmt: skip
    post_hook(message_hook("wamid.R1", "reaction", {"message_id": "wamid.L1", "emoji": "👍"}))
    texts = [m.text for m in Message.objects.order_by("id")]
    assert "Toimisto, Mannerheimintie 1" in texts[0] and "60.1699" in texts[0]
    assert "Pekka Virtanen" in texts[1] and "+358 40 765 4321" in texts[1]
    assert "👍" in texts[2]
    assert Ticket.objects.count() == 1


def test_image_and_document_are_downloaded(post_hook, fake_api):
    fake_api.routes["/media-img-1"] = (200, json.dumps({
        "url": fake_api.url + "/download/img-1", "mime_type": "image/jpeg", "file_size": 11,
        "id": "media-img-1", "messaging_product": "whatsapp"}).encode(), {})  # fmt: skip
    fake_api.routes["/download/img-1"] = (200, b"jpeg-bytes!", {})
    image = {"id": "media-img-1", "mime_type": "image/jpeg", "sha256": "abc", "caption": "Rikki"}
    post_hook(message_hook("wamid.I1", "image", image))
    fake_api.routes["/media-doc-1"] = (200, json.dumps({
        "url": fake_api.url + "/download/doc-1", "mime_type": "application/pdf",
        "file_size": 8}).encode(), {})  # fmt: skip
    fake_api.routes["/download/doc-1"] = (200, b"%PDF-1.7", {})
    post_hook(message_hook("wamid.D1", "document", {"id": "media-doc-1", "filename": "kuitti.pdf",
                                                     "mime_type": "application/pdf"}))  # fmt: skip
    image, document = Message.objects.order_by("id")
    assert image.text == "Rikki"
    with image.attachments.get().file.open("rb") as handle:
        assert handle.read() == b"jpeg-bytes!"
    assert document.attachments.get().filename == "kuitti.pdf"
    media_call = next(r for r in fake_api.requests if r["path"].endswith("/media-img-1"))
    assert media_call["path"] == "/v21.0/media-img-1"
    assert media_call["headers"]["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    download = next(r for r in fake_api.requests if r["path"] == "/download/img-1")
    assert download["headers"]["Authorization"] == f"Bearer {ACCESS_TOKEN}"
