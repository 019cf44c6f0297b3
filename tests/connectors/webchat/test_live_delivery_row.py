"""The live delivery of an agent's reply records one row however often its
handler runs (a worker's retry), written in one statement."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiski.connectors.webchat import delivery, services
from tiski.connectors.webchat.models import ChatWidget, LiveDelivery
from tiski.core import realtime
from tiski.tickets import actions
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import Channel, MessageKind, Via

pytestmark = pytest.mark.django_db


def test_a_reply_handled_twice_is_one_live_delivery(make_team, make_user, monkeypatch):
    widget = ChatWidget.objects.create(name="Kauppa", default_team=make_team("Chat"))
    session = services.start_session(widget, "fi")
    services.identify(session, name="Aino Asiakas", email="aino@example.com")
    services.receive(session, text="Onko varakannuja?", client_id="c1")
    session.refresh_from_db()
    services.opened(session.pk)
    agent = make_user(name="Aino Agentti")
    reply = actions.add_message(
        session.ticket,
        kind=MessageKind.PUBLIC,
        actor=agent,
        via=Via.AGENT,
        text="On, kaksi kappaletta.",
        channel=Channel.CHAT,
    )
    change = TicketChange(
        ticket_id=reply.ticket_id,
        via=Via.AGENT,
        actor_id=agent.pk,
        messages=((reply.pk, MessageKind.PUBLIC),),
    )
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(realtime, "send_many", lambda messages: sent.extend(messages))

    delivery.on_ticket_change(change)
    with CaptureQueriesContext(connection) as queries:
        delivery.on_ticket_change(change)

    rows = list(LiveDelivery.objects.values_list("message_id", "session_id"))
    assert rows == [(reply.pk, session.pk)]
    assert [(group, payload["item"]["text"]) for group, payload in sent] == [
        (services.session_group(session.pk), "On, kaksi kappaletta.")
    ] * 2
    inserts = [q["sql"] for q in queries if "webchat_livedelivery" in q["sql"]]
    assert len(inserts) == 1 and inserts[0].startswith("INSERT")
