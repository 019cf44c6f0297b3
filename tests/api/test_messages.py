"""Messages: the conversation, notes, public replies (not for light agents), files."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tiski.accounts.models import Role
from tiski.tickets.models import Message


def test_list_messages_oldest_first(api_for, admin_user, make_ticket):
    ticket = make_ticket(text="Ensimmäinen")
    api = api_for(admin_user)
    api.post(f"/api/v1/tickets/{ticket.number}/messages", {"kind": "internal", "text": "Toinen"})
    body = api.get(f"/api/v1/tickets/{ticket.number}/messages").json()
    assert [m["text"] for m in body["data"]] == ["Ensimmäinen", "Toinen"]
    assert body["next_cursor"] is None


def test_internal_note(api_for, make_user, make_ticket):
    ticket = make_ticket()
    agent = make_user()
    response = api_for(agent).post(
        f"/api/v1/tickets/{ticket.number}/messages",
        {"kind": "internal", "text": "Soitin asiakkaalle"},
    )
    assert response.status_code == 201, response.content
    message = Message.objects.get(pk=response.json()["id"])
    assert (message.kind, message.author_user, message.text) == (
        "internal",
        agent,
        "Soitin asiakkaalle",
    )


def test_public_reply_goes_out_by_email(api_for, make_user, make_ticket, mailbox):
    ticket = make_ticket()
    response = api_for(make_user()).post(
        f"/api/v1/tickets/{ticket.number}/messages",
        {"kind": "public", "text": "Tilauksesi on matkalla.", "status_after": "pending"},
    )
    assert response.status_code == 201, response.content
    message = Message.objects.get(pk=response.json()["id"])
    assert message.kind == "public" and message.channel == "email"
    assert message.meta["mailbox"] == mailbox.address
    ticket.refresh_from_db()
    assert ticket.status == "pending"


def test_public_reply_nobody_would_receive_is_refused(api_for, make_user, make_ticket):
    ticket = make_ticket()  # no mailbox set up
    response = api_for(make_user()).post(
        f"/api/v1/tickets/{ticket.number}/messages", {"kind": "public", "text": "Hei"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unreachable"


def test_light_agent_token_cannot_post_public_replies(api_for, make_user, make_ticket, mailbox):
    ticket = make_ticket()
    api = api_for(make_user(role=Role.LIGHT_AGENT))
    refused = api.post(
        f"/api/v1/tickets/{ticket.number}/messages", {"kind": "public", "text": "Hei"}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert not ticket.messages.filter(kind="public").exists()
    note = api.post(
        f"/api/v1/tickets/{ticket.number}/messages", {"kind": "internal", "text": "Hei"}
    )
    assert note.status_code == 201


def test_attachments_as_multipart_and_download(api_for, admin_user, make_ticket):
    ticket = make_ticket()
    api = api_for(admin_user)
    response = api.post_multipart(
        f"/api/v1/tickets/{ticket.number}/messages",
        {
            "kind": "internal",
            "text": "Kuitti liitteenä",
            "files": [
                SimpleUploadedFile("kuitti.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
                SimpleUploadedFile("kuva.png", b"\x89PNG....", content_type="image/png"),
            ],
        },
    )
    assert response.status_code == 201, response.content
    files = response.json()["attachments"]
    assert [f["filename"] for f in files] == ["kuitti.pdf", "kuva.png"]
    download = api.get(files[0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert download["Content-Type"] == "application/octet-stream"


def test_empty_or_invalid_message_names_the_field(api_for, admin_user, make_ticket):
    ticket = make_ticket()
    api = api_for(admin_user)
    response = api.post(f"/api/v1/tickets/{ticket.number}/messages", {"kind": "shout", "text": ""})
    assert response.status_code == 422
    assert {"kind", "text"} <= set(response.json()["fields"])


def test_public_reply_on_an_sms_conversation_goes_by_sms(
    api_for, make_user, mailbox, django_capture_on_commit_callbacks
):
    """The API asks the same route as the desk: the channel the customer wrote on."""
    from tiski.connectors.messaging import intake
    from tiski.connectors.messaging.inbound import InboundMessage
    from tiski.connectors.models import OutboundMessage
    from tiski.connectors.sms.models import SmsAccount

    account = SmsAccount.objects.create(
        name="SMS", number="+358451110000", api_url="http://127.0.0.1:9/sms"
    )
    done = intake.deliver_inbound(
        InboundMessage(
            channel="sms",
            account=account.pk,
            sender_kind="phone",
            sender_value="+358401234567",
            text="Hei?",
            provider_id="gw-api-1",
        )
    )
    api = api_for(make_user())
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/tickets/{done.message.ticket.number}/messages",
            {"kind": "public", "text": "Hei! Paketti lähti."},
        )
    assert response.status_code == 201, response.content
    message = Message.objects.get(pk=response.json()["id"])
    assert message.channel == "sms" and message.meta["to"] == "+358401234567"
    assert OutboundMessage.objects.get(message=message).recipient == "+358401234567"
