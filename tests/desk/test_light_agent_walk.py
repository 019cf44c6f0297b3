"""A light agent can never reply to the customer: every write path, walked.

A light agent (an expert elsewhere in the company) may read the tickets they
are given, write internal notes, be mentioned and work on child tickets. The
walk POSTs a "reply to the customer" to every URL the site has, as the light
agent, then drives the action layer, ready answers, bulk changes and rules
directly; afterwards the ticket holds no public reply and no mail went to
the customer.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tiski.accounts.models import Role
from tiski.connectors.models import OutboundEmail, OutboundKind, SideConversation
from tiski.macros.models import Macro
from tiski.rules.models import Trigger
from tiski.tickets import actions
from tiski.tickets.models import Message, MessageKind, Via

CUSTOMER = "asiakas@esimerkki.fi"
REPLY = "Hei, tässä vastaus sinulle suoraan"


def _routes() -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace != "admin":
                    walk(p.url_patterns, prefix + str(p.pattern))
            else:
                found.append((prefix + str(p.pattern), p))

    walk(get_resolver().url_patterns, "")
    return found


def _fill(route: str, values: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        name = match.group(2)
        return values.get(name, "999999" if match.group(1) == "int" else "x")

    path = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: one(m) if m.group(1) else "x", route)
    return "/" + path.replace("^", "").replace("$", "")


@pytest.fixture
def light(make_team, make_user, make_contact, make_ticket, mailbox):
    team = make_team("Tuki")
    expert = make_user(role=Role.LIGHT_AGENT, name="Eero Ekspertti", teams=(team,), language="en")
    contact = make_contact(email=CUSTOMER, name="Asta Asiakas")
    ticket = make_ticket(subject="Kysymys laskusta", requester=contact, team=team)
    macro = Macro.objects.create(
        name="Kiitos", shortcut="kiitos", text_fi=REPLY, set_status="solved"
    )
    # A rule that answers the customer when an agent replies: it must never
    # be reached by a light agent's writing.
    Trigger.objects.create(
        name="Kuittaus vastauksesta",
        events=["agent_replied"],
        actions=[{"type": "email_requester", "subject": "Vastaus", "text": "{{ ticket.number }}"}],
    )
    return {"expert": expert, "ticket": ticket, "contact": contact, "macro": macro}


# The desk's own automatic mail (the satisfaction survey after a solve, an
# acknowledgement) is not the light agent speaking; every other kind is.
AUTOMATIC = {OutboundKind.SURVEY, OutboundKind.ACKNOWLEDGEMENT}


def _assert_nothing_reached_the_customer(ticket) -> None:
    assert not Message.objects.filter(ticket=ticket, kind=MessageKind.PUBLIC).exists()
    sent = [
        (row.kind, row.subject)
        for row in OutboundEmail.objects.exclude(kind__in=AUTOMATIC)
        if CUSTOMER in row.to + row.cc + row.bcc
    ]
    assert not sent
    automatic = set(
        OutboundEmail.objects.filter(kind__in=AUTOMATIC).values_list("subject", flat=True)
    )
    assert not [
        m.subject
        for m in mail.outbox
        if CUSTOMER in m.to + m.cc + m.bcc and m.subject not in automatic
    ]


def test_every_url_refuses_a_light_agents_reply(light, django_capture_on_commit_callbacks):
    ticket, contact, expert = light["ticket"], light["contact"], light["expert"]
    note = actions.add_message(
        ticket, kind=MessageKind.INTERNAL, actor=expert, via=Via.AGENT, text="Muistiinpano"
    )
    # A side conversation with a supplier: the expert may read it, never write in it.
    side = SideConversation.objects.create(
        ticket=ticket, subject="Toimitus", to=["toimittaja@example.com"]
    )
    values = {
        "number": str(ticket.number),
        "side_id": str(side.pk),
        "message_id": str(note.pk),
        "pk": str(light["macro"].pk),
    }
    payload = {
        "kind": "public",
        "text": REPLY,
        "to": CUSTOMER,
        "note": REPLY,
        "message": str(note.pk),
        "subject": "Vastaus",
        "first_message_kind": "customer",
        "channel": "email",
        "requester": str(contact.pk),
        "status": "solved",
        "priority": "normal",
        "tags": "",
        "ids": [str(ticket.pk)],
        "tickets": [str(ticket.pk)],
        "macro": str(light["macro"].pk),
        "confirm_collision": "on",
        "ticket": str(ticket.number),
    }
    client = Client(raise_request_exception=False)
    walked = 0
    for route, _pattern in _routes():
        url = _fill(route, values)
        client.force_login(expert)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, payload)
        walked += 1
    assert walked > 50
    _assert_nothing_reached_the_customer(ticket)
    assert not OutboundEmail.objects.filter(kind=OutboundKind.SIDE).exists()
    assert not SideConversation.objects.exclude(pk=side.pk).exists()
    side.refresh_from_db()
    assert side.status == "open" and not side.messages.exists()
    # Notes still work for them.
    assert Message.objects.filter(ticket=ticket, kind=MessageKind.INTERNAL).exists()


def test_actions_macros_bulk_and_rules_refuse_a_light_agents_reply(
    light, django_capture_on_commit_callbacks
):
    ticket, expert = light["ticket"], light["expert"]
    with pytest.raises(PermissionDenied):
        actions.add_message(ticket, kind=MessageKind.PUBLIC, actor=expert, via=Via.AGENT, text="x")
    with pytest.raises(PermissionDenied):
        actions.create_ticket(
            requester=light["contact"],
            subject="Uusi",
            text=REPLY,
            first_message_kind=MessageKind.PUBLIC,
            actor=expert,
            via=Via.AGENT,
            channel="email",
        )
    with django_capture_on_commit_callbacks(execute=True):
        # A bulk change and a note with a ready answer inserted: fields may
        # change, nothing is said to the customer (and no rule replies).
        actions.bulk_update_tickets(
            [ticket], actor=expert, via=Via.AGENT, fields={"priority": "high"}
        )
        client = Client()
        client.force_login(expert)
        client.post(
            f"/tickets/{ticket.number}/reply/",
            {"kind": "internal", "text": REPLY, "macro": str(light["macro"].pk)},
        )
    _assert_nothing_reached_the_customer(ticket)
    assert Message.objects.filter(ticket=ticket, kind=MessageKind.INTERNAL, text=REPLY).exists()
    # Rules are the admins' to write: the light agent cannot reach their editor.
    response = client.post("/settings/rules/triggers/new/", {"name": "x"})
    assert response.status_code in (302, 403, 404)
    assert not Trigger.objects.filter(name="x").exists()


def test_a_light_agent_cannot_forward_to_the_customer(light, django_capture_on_commit_callbacks):
    """A forward may go to any address, the customer's too: refused for light agents
    (by the forward itself, whichever door it is called from)."""
    ticket, expert = light["ticket"], light["expert"]
    client = Client()
    client.force_login(expert)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/tickets/{ticket.number}/forward/", {"to": CUSTOMER, "note": REPLY}, follow=True
        )
    _assert_nothing_reached_the_customer(ticket)
    assert "Light agents can write internal notes only." in response.content.decode()
