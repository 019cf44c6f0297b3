"""Files from the visitor (limits, stored as attachments) and the transcript by email."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing.websocket import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile

from tiski.asgi import application
from tiski.connectors.models import OutboundEmail, OutboundKind
from tiski.connectors.webchat import services
from tiski.connectors.webchat.models import ChatSession
from tiski.tickets.models import Attachment, Message, MessageKind, Ticket

from .conftest import SITE

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _session(widget):
    session = services.start_session(widget, "fi")
    services.identify(session, name="Liisa", email="liisa@example.com")
    return session


def _upload(client, widget, session, name, content, content_type, client_id="f1"):
    return client.post(
        f"/chat/{widget.public_key}/upload",
        {
            "token": session.visitor_token,
            "client_id": client_id,
            "file": SimpleUploadedFile(name, content, content_type=content_type),
        },
        HTTP_ORIGIN=SITE,
    )


@pytest.mark.django_db
def test_an_image_becomes_an_attachment_on_the_chat_ticket(widget, client):
    session = _session(widget)
    response = _upload(client, widget, session, "kuva.png", PNG, "image/png")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SITE
    message = Message.objects.get(pk=response.json()["id"])
    assert message.kind == MessageKind.CUSTOMER and message.text == "kuva.png"
    attachment = Attachment.objects.get(message=message)
    assert attachment.content_type == "image/png" and attachment.size == len(PNG)
    # The same client id again (a retry) is the same message.
    again = _upload(client, widget, session, "kuva.png", PNG, "image/png")
    assert again.json()["id"] == message.pk
    assert Attachment.objects.count() == 1
    item = services.history(ChatSession.objects.get())[0]
    assert item["files"] == ["kuva.png"]


@pytest.mark.django_db
def test_too_large_or_wrong_type_is_refused(widget, client, settings):
    settings.TISKI_WEBCHAT_UPLOAD_MAX_BYTES = 50
    session = _session(widget)
    large = _upload(client, widget, session, "kuva.png", PNG, "image/png")
    assert large.status_code == 413 and large.json() == {"error": "too_large"}
    settings.TISKI_WEBCHAT_UPLOAD_MAX_BYTES = 10_000
    program = _upload(client, widget, session, "ohjelma.exe", b"MZ", "application/octet-stream")
    renamed = _upload(client, widget, session, "kuva.png", b"MZ", "application/x-msdownload")
    assert program.status_code == 400 and program.json() == {"error": "bad_type"}
    assert renamed.status_code == 400
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


@pytest.mark.django_db
def test_another_site_or_an_unknown_token_cannot_upload(widget, client):
    session = _session(widget)
    evil = client.post(
        f"/chat/{widget.public_key}/upload",
        {
            "token": session.visitor_token,
            "client_id": "x",
            "file": SimpleUploadedFile("a.txt", b"a"),
        },
        HTTP_ORIGIN="https://evil.example",
    )
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil
    unknown = _upload(client, widget, _fake(session), "a.txt", b"hei", "text/plain")
    assert unknown.status_code == 404


def _fake(session):
    session.visitor_token = "not-a-real-token"
    return session


@pytest.mark.django_db(transaction=True)
def test_the_transcript_goes_by_email_through_the_outbox(widget, make_user, mailbox):
    session = _session(widget)
    services.receive(session, client_id="m1", text="Missä tilaukseni on?")

    async def ask() -> dict:
        socket = WebsocketCommunicator(
            application,
            f"/ws/chat/{widget.public_key}/",
            headers=[(b"host", b"127.0.0.1"), (b"origin", SITE.encode())],
        )
        assert (await socket.connect(timeout=10))[0]
        await socket.send_json_to({"type": "hello", "token": session.visitor_token, "lang": "fi"})
        await socket.receive_json_from(timeout=10)
        await socket.send_json_to({"type": "transcript"})
        answer = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        return answer

    assert async_to_sync(ask)() == {"type": "transcript", "sent": True}
    mail = OutboundEmail.objects.get(kind=OutboundKind.TRANSCRIPT)
    assert mail.to == ["liisa@example.com"] and mail.automatic
    assert "Missä tilaukseni on?" in mail.body_text
    assert "Verkkokauppa" in mail.subject


@pytest.mark.django_db
def test_no_transcript_before_anything_was_said(widget, mailbox):
    assert services.send_transcript(_session(widget)) is False
    assert not OutboundEmail.objects.exists()
