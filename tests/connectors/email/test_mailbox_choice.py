"""Which mailbox a reply goes from: the one the customer last wrote to, else
the ticket team's, else the desk's first; the composer's route and
`mailbox_for` choose alike, from the active mailboxes read at once."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiski.connectors.email import outbound
from tiski.connectors.models import Mailbox
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Ticket, Via


def _write(ticket, mailbox_address: str, sender: str) -> None:
    actions.add_message(
        ticket,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        channel="email",
        text="Hei",
        author_contact=ticket.requester,
        meta={"mailbox": mailbox_address, "from": sender},
    )


def test_the_reply_goes_from_the_mailbox_the_customer_last_wrote_to(
    db, make_ticket, make_team, make_contact
):
    first = Mailbox.objects.create(address="info@tiski.example")
    sales = make_team("Myynti")
    team_box = Mailbox.objects.create(address="myynti@tiski.example", default_team=sales)
    Mailbox.objects.create(address="myynti2@tiski.example", default_team=sales)
    support = Mailbox.objects.create(address="tuki@tiski.example")
    Mailbox.objects.create(address="vanha@tiski.example", active=False)
    customer = make_contact(email="asiakas@example.com")

    wrote = make_ticket(requester=customer, team=sales)
    _write(wrote, "TUKI@tiski.example", "asiakas@example.com")
    _write(wrote, "vanha@tiski.example", "asiakas@example.com")  # inactive: skipped
    _write(wrote, "", "asiakas@example.com")
    by_team = make_ticket(team=sales)
    nothing = make_ticket()

    for made, wanted in ((wrote, support), (by_team, team_box), (nothing, first)):
        # as the ticket page holds it: with its requester
        ticket = Ticket.objects.select_related("requester").get(pk=made.pk)
        assert outbound.mailbox_for(ticket) == wanted
        with CaptureQueriesContext(connection) as read:
            route = outbound.route(ticket)
        assert route.mailbox == wanted
        # the customer's messages, the mailboxes, the requester's addresses
        assert len(read) <= 3, [q["sql"] for q in read]
    assert outbound.route(wrote).to == "asiakas@example.com"
