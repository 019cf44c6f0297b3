"""Messenger and Instagram webhooks posted to the account's real URL: verification,
messages, attachments, postbacks, reactions, echoes and faults."""

from __future__ import annotations

import pytest

from tiski.connectors.models import InboundReceipt, ReceiptStatus
from tiski.customers.models import Identity, IdentityKind
from tiski.tickets.models import Channel, Message, MessageKind, Ticket

from .conftest import (
    ACCESS_TOKEN,
    CUSTOMER,
    IG_CUSTOMER,
    VERIFY_TOKEN,
    echo_hook,
    event,
    hook,
    ig_text_hook,
    text_hook,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_verification_challenge(client, page):
    url = f"/meta/{page.pk}/webhook/"
    ok = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                          "hub.challenge": "1158201444"})  # fmt: skip
    assert ok.status_code == 200 and ok.content == b"1158201444"
    wrong = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "nope",
                             "hub.challenge": "1158201444"})  # fmt: skip
    assert wrong.status_code == 403 and b"1158201444" not in wrong.content


def test_unsigned_401_badly_signed_403_and_nothing_written(post_hook):
    assert post_hook(text_hook("m_1", "Hei"), sign="").status_code == 401
    assert post_hook(text_hook("m_1", "Hei"), sign="sha256=" + "0" * 64).status_code == 403
    assert not InboundReceipt.objects.exists() and not Ticket.objects.exists()


def test_text_opens_a_ticket_with_the_profile_name(post_hook, team, graph):
    assert post_hook(text_hook("m_IN1", "Hei, tilaukseni on myöhässä")).status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.MESSENGER and ticket.team == team
    assert ticket.requester.name == "Aino Korhonen"
    identity = Identity.objects.get(contact=ticket.requester)
    assert (identity.kind, identity.value) == (IdentityKind.MESSENGER, CUSTOMER)
    message = ticket.messages.get()
    assert message.external_id == "m_IN1" and message.text == "Hei, tilaukseni on myöhässä"
    profile = next(r for r in graph.requests if "fields=" in r["path"])
    assert profile["path"] == f"/v21.0/{CUSTOMER}?fields=first_name,last_name"
    assert profile["headers"]["Authorization"] == f"Bearer {ACCESS_TOKEN}"


def test_profile_is_asked_once_and_a_failure_is_fine(post_hook, graph):
    graph.routes.clear()
    graph.answer((400, {"error": {"message": "Unsupported get request", "code": 100}}))
    post_hook(text_hook("m_IN1", "Hei"))
    post_hook(text_hook("m_IN2", "Onko ketään?"))
    ticket = Ticket.objects.get()
    assert ticket.requester.name == "Messenger user"
    assert ticket.messages.count() == 2
    assert len([r for r in graph.requests if "fields=" in r["path"]]) == 1


def test_duplicate_delivery_is_one_message_and_threads_into_one_ticket(post_hook):
    post_hook(text_hook("m_IN1", "Hei"))
    post_hook(text_hook("m_IN1", "Hei"))
    post_hook(text_hook("m_IN2", "Tilausnumero on 4411"))
    assert InboundReceipt.objects.count() == 2 and Message.objects.count() == 2
    assert Ticket.objects.count() == 1


def test_malformed_is_400_and_quarantined(post_hook, post_to, instagram):
    assert post_hook(raw=b"{not json").status_code == 400
    assert post_hook(hook({"recipient": {"id": "1"}, "message": {"mid": "x"}})).status_code == 400
    # An Instagram payload posted to the Facebook page's URL is not the page's.
    assert post_hook(ig_text_hook("m_IG", "Hei")).status_code == 400
    assert [r.status for r in InboundReceipt.objects.all()] == [ReceiptStatus.QUARANTINED] * 3
    assert not Ticket.objects.exists()


def test_image_video_audio_and_file_are_downloaded(post_hook, graph):
    cdn = graph.url + "/cdn"
    graph.routes["/cdn/kuva.jpg?oh=sig"] = (200, b"jpeg-bytes", {"Content-Type": "image/jpeg"})
    graph.routes["/cdn/v.mp4"] = (200, b"mp4", {"Content-Type": "video/mp4"})
    graph.routes["/cdn/aani.mp4"] = (200, b"aac", {"Content-Type": "audio/mp4"})
    graph.routes["/cdn/kuitti.pdf"] = (200, b"%PDF-1.7", {"Content-Type": "application/pdf"})
    graph.routes["/cdn/ohjelma.exe"] = (200, b"MZ", {"Content-Type": "application/x-msdownload"})
    attachments = [
        {"type": "image", "payload": {"url": f"{cdn}/kuva.jpg?oh=sig"}},
        {"type": "video", "payload": {"url": f"{cdn}/v.mp4"}},
        {"type": "audio", "payload": {"url": f"{cdn}/aani.mp4"}},
        {"type": "file", "payload": {"url": f"{cdn}/kuitti.pdf"}},
        {"type": "file", "payload": {"url": f"{cdn}/ohjelma.exe"}},
    ]
    post_hook(hook(event({"message": {"mid": "m_A1", "attachments": attachments}})))
    message = Message.objects.get()
    files = {a.filename: a for a in message.attachments.all()}
    assert set(files) == {"kuva.jpg", "v.mp4", "aani.mp4", "kuitti.pdf"}
    assert files["kuva.jpg"].content_type == "image/jpeg"
    with files["kuitti.pdf"].file.open("rb") as handle:
        assert handle.read() == b"%PDF-1.7"
    assert "ohjelma.exe left out" in message.text
    download = next(r for r in graph.requests if r["path"].startswith("/cdn/kuva.jpg"))
    assert "Authorization" not in download["headers"]


def test_a_cdn_that_is_down_leaves_the_receipt_for_the_sweeper(post_hook, graph):
    graph.routes["/cdn/kuva.jpg"] = (503, b"", {})
    attachment = {"type": "image", "payload": {"url": f"{graph.url}/cdn/kuva.jpg"}}
    answer = post_hook(hook(event({"message": {"mid": "m_A1", "attachments": [attachment]}})))
    assert answer.status_code == 200
    assert InboundReceipt.objects.get().status == ReceiptStatus.PENDING
    assert not Message.objects.exists()


def test_postback_quick_reply_and_reaction(post_hook):
    post_hook(text_hook("m_IN1", "Hei"))
    postback = {"mid": "m_PB1", "title": "Tilauksen tila", "payload": "ORDER_STATUS"}
    post_hook(hook(event({"postback": postback})))
    quick = {"quick_reply": {"payload": "YES"}}
    post_hook(text_hook("m_QR1", "Kyllä", **quick))
    reaction = {"reaction": {"mid": "m_IN1", "action": "react", "emoji": "❤", "reaction": "love"}}
    post_hook(hook(event(reaction)))
    post_hook(hook(event(reaction)))  # delivered twice
    texts = [m.text for m in Message.objects.order_by("id")]
    assert texts == ["Hei", "Tilauksen tila", "Kyllä", "❤ (reaktio)"]
    pb, qr = Message.objects.order_by("id")[1:3]
    assert pb.meta["postback"] == "ORDER_STATUS" and qr.meta["quick_reply"] == "YES"
    assert Ticket.objects.count() == 1


def test_an_echo_from_metas_inbox_is_the_pages_public_reply(post_hook, client):
    post_hook(text_hook("m_IN1", "Hei"))
    post_hook(echo_hook("m_ECHO1", "Vastasimme Metan omasta postilaatikosta"))
    post_hook(echo_hook("m_ECHO1", "Vastasimme Metan omasta postilaatikosta"))
    ticket = Ticket.objects.get()
    reply = ticket.messages.get(kind=MessageKind.PUBLIC)
    assert reply.channel == Channel.MESSENGER and reply.external_id == "m_ECHO1"
    assert reply.meta["echo"] and reply.author_user_id is None
    assert ticket.first_agent_reply_at is not None


def test_an_echo_without_a_ticket_writes_nothing(post_hook):
    post_hook(echo_hook("m_ECHO1", "Hei uusi asiakas"))
    assert not Ticket.objects.exists()
    assert InboundReceipt.objects.get().status == ReceiptStatus.PROCESSED


def test_instagram_direct_message(post_to, instagram, graph):
    assert post_to(instagram, ig_text_hook("aWdfZAG1fSUQ6", "Onko tätä kokoa?")).status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.INSTAGRAM and ticket.requester.name == "Eero Mäkelä"
    identity = Identity.objects.get(contact=ticket.requester)
    assert (identity.kind, identity.value) == (IdentityKind.INSTAGRAM, IG_CUSTOMER)
    deleted = {"message": {"mid": "aWdfZAG1fSUQ6", "is_deleted": True}}
    post_to(instagram, hook(event(deleted, sender=IG_CUSTOMER, recipient=instagram.account_id),
                            obj="instagram"))  # fmt: skip
    assert ticket.messages.count() == 1
