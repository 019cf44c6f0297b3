"""Issue #13, defect 3 and the composer: who a public reply reaches, copies, the
sending mailbox, forwarding, and image thumbnails."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import PASSWORD
from tiski.accounts.models import Role
from tiski.connectors.models import Mailbox, OutboundEmail, OutboundKind
from tiski.customers.actions import add_identity, get_or_create_contact
from tiski.tickets import actions
from tiski.tickets.actions import NewAttachment
from tiski.tickets.models import Message, MessageKind, Via

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(make_team):
    return make_team("Puhelinpalvelu")


@pytest.fixture
def agent(make_user, team):
    return make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi")


@pytest.fixture
def agent_client(client, agent):
    client.login(username=agent.email, password=PASSWORD)
    return client


@pytest.fixture
def phone_ticket(make_ticket, team):
    """A ticket that started as a phone call from a customer we also know by email."""
    contact, _created = get_or_create_contact("phone", "040 123 4567", name="Liisa Lahtinen")
    add_identity(contact, "email", "liisa@asiakas.fi")
    return make_ticket(
        subject="Soitto: lasku",
        text="Soitti laskusta.",
        requester=contact,
        channel="phone",
        team=team,
    )


def reply(client, ticket, **fields):
    data = {"kind": "public", "text": "Hei Liisa, lasku on korjattu.", **fields}
    data.setdefault("last_seen_message", ticket.messages.last().pk)
    return client.post(reverse("desk:ticket-reply", args=[ticket.number]), data)


def test_reply_on_a_phone_ticket_is_emailed_from_the_team_mailbox(
    agent_client, phone_ticket, team, mailbox, django_capture_on_commit_callbacks
):
    """Defect 3: the reply goes to the requester's address, from the team's mailbox."""
    team_box = Mailbox.objects.create(address="puhelin@tiski.example", default_team=team)
    with django_capture_on_commit_callbacks(execute=True):
        response = reply(agent_client, phone_ticket)
    assert response.status_code == 302, response.content
    message = phone_ticket.messages.get(kind=MessageKind.PUBLIC)
    assert message.channel == "email"
    row = OutboundEmail.objects.get(message=message)
    assert row.to == ["liisa@asiakas.fi"] and row.mailbox == team_box
    assert [m.to for m in mail.outbox] == [["liisa@asiakas.fi"]]


def test_reply_on_a_ticket_made_by_hand_uses_the_default_mailbox(
    agent_client, make_ticket, mailbox, django_capture_on_commit_callbacks
):
    ticket = make_ticket(channel="manual", via=Via.AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        assert reply(agent_client, ticket).status_code == 302
    assert OutboundEmail.objects.get().mailbox == mailbox
    assert len(mail.outbox) == 1


def test_unreachable_customer_is_said_before_sending(agent_client, make_ticket, mailbox):
    """No address: the composer warns, the public option is off, and a post is refused."""
    contact, _created = get_or_create_contact("phone", "050 555 0000", name="Pelkkä Puhelin")
    ticket = make_ticket(requester=contact, channel="phone")
    page = agent_client.get(ticket.get_absolute_url()).content.decode()
    assert 'id="unreachable-warning"' in page
    assert 'name="kind" value="public" disabled' in page
    assert 'name="kind" value="internal" checked' in page
    response = reply(agent_client, ticket)
    assert response.status_code == 400
    assert "unreachable-warning" in response.content.decode()
    assert not ticket.messages.filter(kind=MessageKind.PUBLIC).exists()
    assert not OutboundEmail.objects.exists()


def test_no_mailbox_is_said_before_sending(agent_client, phone_ticket):
    page = agent_client.get(phone_ticket.get_absolute_url()).content.decode()
    assert 'id="unreachable-warning"' in page and 'id="reply-to"' not in page
    assert reply(agent_client, phone_ticket).status_code == 400


def test_cc_and_bcc_are_stored_and_sent(
    agent_client, phone_ticket, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reply(
            agent_client,
            phone_ticket,
            cc="Pomo@Asiakas.fi; kirjanpito@asiakas.fi",
            bcc="arkisto@yritys.fi",
        )
    assert response.status_code == 302
    message = phone_ticket.messages.get(kind=MessageKind.PUBLIC)
    assert message.meta["cc"] == ["pomo@asiakas.fi", "kirjanpito@asiakas.fi"]
    assert message.meta["bcc"] == ["arkisto@yritys.fi"]
    row = OutboundEmail.objects.get()
    assert row.cc == ["pomo@asiakas.fi", "kirjanpito@asiakas.fi"]
    assert row.bcc == ["arkisto@yritys.fi"]
    sent = mail.outbox[0]
    assert sent.cc == ["pomo@asiakas.fi", "kirjanpito@asiakas.fi"]
    assert sent.bcc == ["arkisto@yritys.fi"]
    assert "arkisto@yritys.fi" not in sent.message().as_string()  # blind: never in a header
    page = agent_client.get(phone_ticket.get_absolute_url()).content.decode()
    assert "pomo@asiakas.fi" in page and "arkisto@yritys.fi" in page


def test_bad_cc_is_refused_in_place(agent_client, phone_ticket, mailbox):
    response = reply(agent_client, phone_ticket, cc="ei-osoite")
    assert response.status_code == 400
    assert "ei-osoite" in response.content.decode()
    assert not phone_ticket.messages.filter(kind=MessageKind.PUBLIC).exists()


def test_choose_the_sending_mailbox(
    agent_client, phone_ticket, mailbox, django_capture_on_commit_callbacks
):
    other = Mailbox.objects.create(address="myynti@tiski.example", display_name="Myynti")
    page = agent_client.get(phone_ticket.get_absolute_url()).content.decode()
    assert 'id="id_mailbox"' in page and "myynti@tiski.example" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert reply(agent_client, phone_ticket, mailbox=other.pk).status_code == 302
    assert OutboundEmail.objects.get().mailbox == other
    assert "myynti@tiski.example" in mail.outbox[0].from_email


def test_one_mailbox_needs_no_select(agent_client, phone_ticket, mailbox):
    page = agent_client.get(phone_ticket.get_absolute_url()).content.decode()
    assert 'id="id_mailbox"' not in page


def _with_files(ticket, agent):
    image = NewAttachment(
        filename="kuva.png",
        content=SimpleUploadedFile("kuva.png", b"\x89PNG fake"),
        content_type="image/png",
    )
    pdf = NewAttachment(
        filename="lasku.pdf",
        content=SimpleUploadedFile("lasku.pdf", b"%PDF-1.4"),
        content_type="application/pdf",
    )
    return actions.add_message(
        ticket,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        channel="email",
        author_contact=ticket.requester,
        text="Tässä kuva ja lasku.",
        attachments=[image, pdf],
    )


def test_forward_the_ticket(
    agent_client, agent, phone_ticket, mailbox, django_capture_on_commit_callbacks
):
    """The conversation quoted, the files attached, internal notes left out, recorded."""
    _with_files(phone_ticket, agent)
    actions.add_message(
        phone_ticket, kind=MessageKind.INTERNAL, actor=agent, via=Via.AGENT, text="SALAINEN"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            reverse("desk:ticket-forward", args=[phone_ticket.number]),
            {"to": "kumppani@toimittaja.fi", "note": "Voitteko katsoa?"},
        )
    assert response.status_code == 302
    row = OutboundEmail.objects.get(kind=OutboundKind.FORWARD)
    assert row.to == ["kumppani@toimittaja.fi"] and row.subject.startswith("Fwd: Soitto: lasku")
    assert row.body_text.startswith("Voitteko katsoa?")
    assert "Soitti laskusta." in row.body_text and "Tässä kuva ja lasku." in row.body_text
    assert "SALAINEN" not in row.body_text
    sent = mail.outbox[0]
    assert sorted(name for name, _data, _type in sent.attachments) == ["kuva.png", "lasku.pdf"]
    note = row.message
    assert note.kind == MessageKind.INTERNAL and note.meta["forwarded_to"] == [
        "kumppani@toimittaja.fi"
    ]
    assert "kumppani@toimittaja.fi" in note.text


def test_forward_one_message(agent_client, agent, phone_ticket, mailbox):
    message = _with_files(phone_ticket, agent)
    response = agent_client.post(
        reverse("desk:ticket-forward", args=[phone_ticket.number]),
        {"to": "kumppani@toimittaja.fi", "message": message.pk},
    )
    assert response.status_code == 302
    row = OutboundEmail.objects.get(kind=OutboundKind.FORWARD)
    assert "Tässä kuva ja lasku." in row.body_text and "Soitti laskusta." not in row.body_text
    assert len(row.message.meta["forward_attachments"]) == 2


def test_light_agent_cannot_forward(client, make_user, phone_ticket, mailbox):
    light = make_user(role=Role.LIGHT_AGENT)
    client.login(username=light.email, password=PASSWORD)
    client.post(
        reverse("desk:ticket-forward", args=[phone_ticket.number]),
        {"to": "kumppani@toimittaja.fi"},
    )
    assert not OutboundEmail.objects.exists()
    assert not Message.objects.filter(kind=MessageKind.INTERNAL).exists()


def test_image_attachments_show_as_thumbnails(agent_client, agent, phone_ticket):
    _with_files(phone_ticket, agent)
    page = agent_client.get(phone_ticket.get_absolute_url()).content.decode()
    assert page.count('class="thumb"') == 1
    assert 'alt="kuva.png"' in page
