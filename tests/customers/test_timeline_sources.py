"""Other apps add items to the customer timeline as sources (phone: unlogged calls)."""

from __future__ import annotations

import pytest

from tiski.accounts.models import Role
from tiski.connectors.phone.models import Call, PhoneLine
from tiski.connectors.phone.timeline import unlogged_calls
from tiski.customers import timeline

pytestmark = pytest.mark.django_db


def test_phone_adds_its_unlogged_calls_with_its_own_visibility(
    make_contact, make_ticket, make_user, make_team
):
    secret = make_team("Johto", restricted=True)
    contact = make_contact(name="Liisa")
    ticket = make_ticket(requester=contact, subject="Sähköposti")
    open_line = PhoneLine.objects.create(name="Vaihde", number="+358201234567")
    secret_line = PhoneLine.objects.create(name="Johto", number="+358201234568", team=secret)
    public_call = Call.objects.create(line=open_line, call_id="a", contact=contact)
    secret_call = Call.objects.create(line=secret_line, call_id="b", contact=contact)

    assert unlogged_calls in timeline._sources
    admin = make_user(role=Role.ADMIN)
    agent = make_user()
    for_admin = timeline.for_contact(admin, contact)
    assert {item.call for item in for_admin if item.call} == {public_call, secret_call}
    assert {item.ticket for item in for_admin if item.message} == {ticket}
    for_agent = timeline.for_contact(agent, contact)
    assert {item.call for item in for_agent if item.call} == {public_call}
