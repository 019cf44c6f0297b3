"""Ticket links ("mentions #n"): written by one action, shown to agents on both tickets."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import PASSWORD
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, TicketLink, Via


def test_link_tickets_writes_the_link_and_an_event_on_both(make_ticket):
    old, new = make_ticket(subject="Vanha"), make_ticket(subject="Uusi")
    link = actions.link_tickets(new, old, actor=None, via=Via.CHANNEL, reason="why")
    assert link is not None and (link.source, link.target, link.kind) == (new, old, "mentions")
    assert new.events.get(field="link").new_value == str(old.number)
    assert old.events.get(field="linked_from").new_value == str(new.number)
    # Once is enough: the same link again writes nothing.
    assert actions.link_tickets(new, old, actor=None, via=Via.CHANNEL) is None
    assert TicketLink.objects.count() == 1 and new.events.filter(field="link").count() == 1
    with pytest.raises(ValidationError):
        actions.link_tickets(new, new, actor=None, via=Via.CHANNEL)


def test_both_tickets_show_the_link_and_the_conversation_says_why(client, make_user, make_ticket):
    agent = make_user(language="en")
    old, new = make_ticket(subject="Minnan tilaus"), make_ticket(subject="Kolmannen kysymys")
    actions.add_message(
        new,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        author_contact=new.requester,
        text="Oma kysymys",
        meta={"threading": {"reason": "new", "not_participant": [old.number]}},
    )
    actions.link_tickets(new, old, actor=None, via=Via.CHANNEL)
    client.login(username=agent.email, password=PASSWORD)
    page = client.get(new.get_absolute_url()).content.decode()
    assert 'data-link="mentions"' in page and "Minnan tilaus" in page
    assert f'data-not-participant="{old.number}"' in page
    assert f"it mentions ticket #{old.number}" in page
    page = client.get(old.get_absolute_url()).content.decode()
    assert 'data-link="mentioned-by"' in page and "Kolmannen kysymys" in page
    assert f"ticket #{new.number} mentions it" in page


def test_a_link_to_a_restricted_ticket_is_not_shown_to_outsiders(
    client, make_user, make_team, make_ticket
):
    hr = make_team("Henkilöstö", restricted=True)
    secret = make_ticket(subject="Salainen asia", team=hr)
    new = make_ticket(subject="Kysymys")
    actions.link_tickets(new, secret, actor=None, via=Via.CHANNEL)
    outsider = make_user()
    client.login(username=outsider.email, password=PASSWORD)
    page = client.get(new.get_absolute_url()).content.decode()
    assert "Salainen asia" not in page and 'data-link="mentions"' not in page
    insider = make_user(teams=(hr,))
    client.login(username=insider.email, password=PASSWORD)
    assert "Salainen asia" in client.get(new.get_absolute_url()).content.decode()
