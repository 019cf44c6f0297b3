"""Telegram updates posted to the bot's real webhook URL become messages."""

from __future__ import annotations

import json

import pytest

from tiski.connectors.models import InboundReceipt, ReceiptStatus
from tiski.customers.models import Identity, IdentityKind
from tiski.tickets.models import Channel, Message, Ticket

from .conftest import TOKEN, media_update, text_update

pytestmark = pytest.mark.django_db(transaction=True)


def test_text_message_opens_a_ticket(post_update, team):
    response = post_update(text_update(700001, 11, "Hei! Tilaukseni 4411 ei ole tullut."))
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.TELEGRAM and ticket.team == team
    assert ticket.subject == "Hei! Tilaukseni 4411 ei ole tullut."
    assert ticket.requester.name == "Aino Korhonen"
    identity = Identity.objects.get(contact=ticket.requester)
    assert (identity.kind, identity.value) == (IdentityKind.TELEGRAM, "5550001")
    message = ticket.messages.get()
    assert message.meta["chat_id"] == "5550001" and message.external_id == "5550001:11"


def test_the_chat_stays_on_one_ticket(post_update):
    post_update(text_update(700001, 11, "Hei"))
    post_update(text_update(700002, 12, "Tilausnumero on 4411"))
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 2


def test_without_the_secret_token_401_and_nothing_written(post_update):
    assert post_update(text_update(700001, 11, "Hei"), secret=None).status_code == 401
    assert post_update(text_update(700001, 11, "Hei"), secret="guess").status_code == 401
    assert not InboundReceipt.objects.exists() and not Ticket.objects.exists()


def test_malformed_update_is_400_and_quarantined(post_update):
    assert post_update(raw=b"{not json").status_code == 400
    assert post_update({"message": {"text": "no update id"}}).status_code == 400
    receipts = InboundReceipt.objects.all()
    assert [r.status for r in receipts] == [ReceiptStatus.QUARANTINED] * 2
    assert "Malformed Telegram update" in receipts[0].reason
    assert not Ticket.objects.exists()


def test_the_same_update_twice_is_one_message(post_update):
    update = text_update(700001, 11, "Hei")
    assert post_update(update).status_code == 200
    assert post_update(update).status_code == 200
    assert Message.objects.count() == 1 and InboundReceipt.objects.count() == 1


def test_other_updates_are_accepted_and_write_no_message(post_update):
    update = {"update_id": 700009, "my_chat_member": {"chat": {"id": 1}}}
    assert post_update(update).status_code == 200
    receipt = InboundReceipt.objects.get()
    assert receipt.status == ReceiptStatus.PROCESSED and "my_chat_member" in receipt.reason
    assert not Ticket.objects.exists()


def test_photo_is_downloaded_through_get_file(post_update, fake_api):
    photo = [
        {
            "file_id": "small-1",
            "file_unique_id": "s1",
            "file_size": 1200,
            "width": 90,
            "height": 60,
        },
        {
            "file_id": "big-1",
            "file_unique_id": "b1",
            "file_size": 48000,
            "width": 1280,
            "height": 853,
        },
    ]
    fake_api.routes["/getFile"] = (
        200,
        json.dumps(
            {"ok": True, "result": {"file_id": "big-1", "file_path": "photos/file_7.jpg"}}
        ).encode(),
        {},
    )
    fake_api.routes["/photos/file_7.jpg"] = (200, b"\xff\xd8\xff\xe0 jpeg bytes", {})
    update = media_update(700003, 13, photo=photo, caption="Paketti oli rikki")
    assert post_update(update).status_code == 200
    message = Message.objects.get()
    assert message.text == "Paketti oli rikki"
    attachment = message.attachments.get()
    assert attachment.content_type == "image/jpeg"
    with attachment.file.open("rb") as handle:
        assert handle.read() == b"\xff\xd8\xff\xe0 jpeg bytes"
    get_file = next(r for r in fake_api.requests if r["path"].endswith("/getFile"))
    assert get_file["path"] == f"/bot{TOKEN}/getFile"
    assert json.loads(get_file["body"]) == {"file_id": "big-1"}
    assert any(r["path"] == f"/file/bot{TOKEN}/photos/file_7.jpg" for r in fake_api.requests)


def test_document_and_voice_are_stored(post_update, fake_api):
    fake_api.routes["/getFile"] = (
        200,
        json.dumps({"ok": True, "result": {"file_path": "documents/f.pdf"}}).encode(),
        {},
    )
    fake_api.routes["/documents/f.pdf"] = (200, b"%PDF-1.4 lasku", {})
    document = {"file_id": "doc-1", "file_unique_id": "d1", "file_name": "lasku.pdf",
                "mime_type": "application/pdf", "file_size": 14}  # fmt: skip
    post_update(media_update(700004, 14, document=document))
    voice = {"file_id": "voice-1", "file_unique_id": "v1", "duration": 3,
             "mime_type": "audio/ogg", "file_size": 14}  # fmt: skip
    post_update(media_update(700005, 15, voice=voice))
    names = sorted(a.filename for m in Message.objects.all() for a in m.attachments.all())
    assert names == ["lasku.pdf", "voice-15.ogg"]


def test_a_file_over_the_limit_or_of_a_refused_type_is_left_out(post_update, fake_api, settings):
    settings.TISKI_MESSAGING_MAX_MEDIA_BYTES = 1000
    big = {
        "file_id": "doc-2",
        "file_name": "video.mp4",
        "mime_type": "video/mp4",
        "file_size": 5000,
    }
    post_update(media_update(700006, 16, document=big, caption="Katso video"))
    exe = {"file_id": "doc-3", "file_name": "setup.exe",
           "mime_type": "application/x-msdownload", "file_size": 10}  # fmt: skip
    post_update(media_update(700007, 17, document=exe))
    first, second = Message.objects.order_by("id")
    assert not first.attachments.exists() and not second.attachments.exists()
    assert "Katso video" in first.text and "video.mp4 left out" in first.text
    assert "setup.exe left out" in second.text and "application/x-msdownload" in second.text
    # Nothing was downloaded.
    assert not any("getFile" in r["path"] for r in fake_api.requests)


def test_a_download_the_bot_api_cannot_serve_now_leaves_the_update_pending(post_update, fake_api):
    fake_api.routes["/getFile"] = (503, b'{"ok": false, "error_code": 503}', {})
    document = {"file_id": "doc-9", "file_name": "kuva.png", "mime_type": "image/png",
                "file_size": 10}  # fmt: skip
    assert post_update(media_update(700010, 19, document=document)).status_code == 200
    receipt = InboundReceipt.objects.get()
    assert receipt.status == ReceiptStatus.PENDING and not Message.objects.exists()
