"""Files on a Messenger or Instagram reply: one attachment message each through the
Send API (Messenger: uploaded in the same multipart call as ``filedata``; Instagram:
through the Attachment Upload API, then sent by its id), then the text. A type the
channel does not carry is refused in the composer, and fails the outbox row clearly
when a reply was written by another path; a retry never sends a file twice."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.html import escape

from tiski.connectors.messaging import outbox
from tiski.connectors.models import MessageStatus, OutboundMessage
from tiski.connectors.registry import CHANNELS
from tiski.connectors.routes import ReplyRoute
from tiski.tickets import actions
from tiski.tickets.models import Channel, MessageKind, Ticket, Via

from ..provider import FakeApi
from ..replies import reply
from .conftest import ACCESS_TOKEN, CUSTOMER, IG_CUSTOMER, PAGE_ID, hook, ig_text_hook, text_hook

pytestmark = pytest.mark.django_db(transaction=True)

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + b"\x00\xfe" * 200
MB = 1024 * 1024


def sent(mid: str) -> tuple[int, dict]:
    return (200, {"recipient_id": CUSTOMER, "message_id": mid})


@pytest.fixture
def fb_ticket(post_hook):
    assert post_hook(text_hook("m_IN1", "Voitteko lähettää kuitin?")).status_code == 200
    return Ticket.objects.get()


@pytest.fixture
def ig_ticket(post_to, instagram, graph):
    post_to(instagram, ig_text_hook("aWdfIN1", "Onko kuvaa takaosasta?"))
    graph.routes["/message_attachments"] = (200, b'{"attachment_id": "1857777774821032"}', {})
    return Ticket.objects.get()


def shown_words(channel: str) -> str:
    """The registry's words for the channel's files, as the agent (Finnish) reads them."""
    with translation.override("fi"):
        return escape(str(CHANNELS[channel].attachment_words))


def posts(graph, suffix: str) -> list[dict]:
    return [r for r in graph.requests if r["method"] == "POST" and r["path"].endswith(suffix)]


def test_messenger_uploads_the_file_in_the_send_call_then_sends_the_text(
    agent_client, fb_ticket, graph
):
    page = agent_client.get(fb_ticket.get_absolute_url()).content.decode()
    assert 'id="file-limits"' in page and shown_words(Channel.MESSENGER) in page
    graph.answer(sent("m_FILE1"), sent("m_TEXT1"))
    image = SimpleUploadedFile("kuitti.jpg", JPEG, content_type="image/jpeg")

    assert reply(agent_client, fb_ticket, "Kuitti tässä.", image).status_code == 302

    upload, text = posts(graph, "/messages")
    assert upload["path"] == f"/v21.0/{PAGE_ID}/messages"
    assert upload["headers"]["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert upload["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    parts = FakeApi.form_parts(upload)
    assert json.loads(parts["recipient"][2]) == {"id": CUSTOMER}
    assert json.loads(parts["message"][2]) == {
        "attachment": {"type": "image", "payload": {"is_reusable": False}}
    }
    assert parts["messaging_type"][2] == b"RESPONSE"
    assert parts["filedata"] == ("kuitti.jpg", "image/jpeg", JPEG)
    # The Send API has no caption: the text is a message of its own, after the file.
    assert json.loads(text["body"]) == {
        "recipient": {"id": CUSTOMER},
        "message": {"text": "Kuitti tässä."},
        "messaging_type": "RESPONSE",
    }
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.SENT and row.provider_message_id == "m_TEXT1"
    assert row.attachments[0]["sent"] == "m_FILE1"


def test_a_pdf_goes_as_a_file_and_with_the_human_agent_tag_after_24_hours(
    agent_client, fb_ticket, graph
):
    graph.answer(sent("m_FILE2"))
    with time_machine.travel(timezone.now() + timedelta(hours=30)):
        pdf = SimpleUploadedFile("sopimus.pdf", PDF, content_type="application/pdf")
        assert reply(agent_client, fb_ticket, "", pdf).status_code == 302
    (upload,) = posts(graph, "/messages")
    parts = FakeApi.form_parts(upload)
    assert json.loads(parts["message"][2])["attachment"]["type"] == "file"
    assert parts["messaging_type"][2] == b"MESSAGE_TAG" and parts["tag"][2] == b"HUMAN_AGENT"
    assert parts["filedata"] == ("sopimus.pdf", "application/pdf", PDF)
    assert OutboundMessage.objects.get().status == MessageStatus.SENT


def test_a_retry_sends_only_what_did_not_go(agent_client, fb_ticket, graph):
    """The first file went, the second hit Meta's outage: the retry sends the second and
    the text, never the first again."""
    graph.answer(
        sent("m_FILE1"),
        (503, {"error": {"message": "Service temporarily unavailable", "code": 2}}),
        sent("m_FILE2"),
        sent("m_TEXT1"),
    )
    first = SimpleUploadedFile("kuitti.jpg", JPEG, content_type="image/jpeg")
    second = SimpleUploadedFile("sopimus.pdf", PDF, content_type="application/pdf")
    reply(agent_client, fb_ticket, "Tässä molemmat.", first, second)
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.RETRYING and "503" in row.last_error
    assert [item.get("sent", "") for item in row.attachments] == ["m_FILE1", ""]

    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        outbox.send_message(row.pk)

    row.refresh_from_db()
    assert row.status == MessageStatus.SENT
    uploads = [FakeApi.form_parts(r)["filedata"][0] for r in posts(graph, "/messages")[:3]]
    assert uploads == ["kuitti.jpg", "sopimus.pdf", "sopimus.pdf"]  # the failed try, its retry
    assert json.loads(posts(graph, "/messages")[3]["body"])["message"] == {
        "text": "Tässä molemmat."
    }
    assert len(posts(graph, "/messages")) == 4


def test_instagram_uploads_through_the_attachment_upload_api_then_sends_its_id(
    agent_client, ig_ticket, graph
):
    graph.answer(sent("aWdfOUT1"))
    image = SimpleUploadedFile("takaosa_näkymä.png", PNG, content_type="image/png")
    assert reply(agent_client, ig_ticket, "", image).status_code == 302

    (upload,) = posts(graph, "/message_attachments")
    assert upload["path"] == "/v21.0/me/message_attachments"
    assert upload["headers"]["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    parts = FakeApi.form_parts(upload)
    assert parts["platform"][2] == b"instagram"
    assert json.loads(parts["message"][2]) == {
        "attachment": {"type": "image", "payload": {"is_reusable": True}}
    }
    # Meta's upload takes no non-ASCII file names: the accents go.
    assert parts["filedata"] == ("takaosa_nakyma.png", "image/png", PNG)
    (send,) = posts(graph, "/messages")
    assert send["path"] == "/v21.0/me/messages"
    assert json.loads(send["body"]) == {
        "recipient": {"id": IG_CUSTOMER},
        "message": {
            "attachment": {"type": "image", "payload": {"attachment_id": "1857777774821032"}}
        },
        "messaging_type": "RESPONSE",
    }
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.SENT and row.attachments[0]["sent"] == "aWdfOUT1"


def test_instagram_refuses_a_type_it_does_not_carry_before_anything_is_written(
    agent_client, ig_ticket, graph
):
    page = agent_client.get(ig_ticket.get_absolute_url()).content.decode()
    assert 'id="file-limits"' in page and shown_words(Channel.INSTAGRAM) in page
    before = len(graph.requests)
    archive = SimpleUploadedFile("kuvat.zip", b"PK\x03\x04" * 10, content_type="application/zip")

    response = reply(agent_client, ig_ticket, "Kuvat pakattuna", archive)

    assert response.status_code == 400
    html = response.content.decode()
    assert "kuvat.zip" in html and "application/zip" in html and "Kuvat pakattuna" in html
    assert not ig_ticket.messages.filter(kind=MessageKind.PUBLIC).exists()
    assert len(graph.requests) == before


def test_instagram_images_have_their_own_smaller_limit():
    route = ReplyRoute(channel=Channel.INSTAGRAM)
    assert "8" in route.file_refusal("iso.jpg", 9 * MB, "image/jpeg")
    assert route.file_refusal("video.mp4", 9 * MB, "video/mp4") == ""
    # Every channel's limit is capped by TISKI_MESSAGING_MAX_MEDIA_BYTES (20 MB).
    assert "20" in route.file_refusal("video.mp4", 21 * MB, "video/mp4")
    assert route.file_refusal("ohje.pdf", MB, "application/pdf") == ""
    assert ReplyRoute(channel=Channel.MESSENGER).file_refusal("a.zip", MB, "application/zip") == ""


def test_a_file_instagram_does_not_carry_fails_the_row_with_the_reason_and_sends_nothing(
    ig_ticket, instagram, graph
):
    """A reply written by a rule or the API, not through the composer's check."""
    before = len(graph.requests)
    with actions.unit_of_work():
        actions.add_message(
            ig_ticket, kind=MessageKind.PUBLIC, actor=None, via=Via.API, text="Kuvat",
            channel=Channel.INSTAGRAM, meta={"account": instagram.pk, "to": IG_CUSTOMER},
            attachments=[
                actions.NewAttachment("kuva.png", ContentFile(PNG, name="kuva.png"), "image/png"),
                actions.NewAttachment(
                    "kuvat.zip", ContentFile(b"PK\x03\x04", name="kuvat.zip"), "application/zip"
                ),
            ],
        )  # fmt: skip
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.FAILED and row.permanent_failure
    assert "Instagram does not carry files of the type application/zip (kuvat.zip)" in (
        row.last_error
    )
    assert len(graph.requests) == before  # not even the PNG went


def test_the_echo_of_a_file_we_sent_is_not_shown_again(agent_client, fb_ticket, graph, post_hook):
    graph.answer(sent("m_FILE1"), sent("m_TEXT1"))
    image = SimpleUploadedFile("kuitti.jpg", JPEG, content_type="image/jpeg")
    reply(agent_client, fb_ticket, "Kuitti tässä.", image)
    attachment = {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/k.jpg"}}
    echo = {"mid": "m_FILE1", "is_echo": True, "app_id": 1234, "attachments": [attachment]}

    post_hook(hook({"sender": {"id": PAGE_ID}, "recipient": {"id": CUSTOMER},
                    "timestamp": 1796467200000, "message": echo}))  # fmt: skip

    assert fb_ticket.messages.filter(kind=MessageKind.PUBLIC).count() == 1
