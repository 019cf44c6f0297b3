"""The web shop's old Zendesk script, still at work after the move.

The shop's return handling opened Zendesk tickets through Zendesk's API;
after moving in, the same script talks to Tiski's ``/api/v2/``. The demo
writes its ticket and its later note through the same code the endpoints
run (``api.zendesk.writes``), so the desk shows them exactly as a real
script leaves them: channel API, changes marked *via API*.
"""

from __future__ import annotations

from tiski.accounts.models import Team, User
from tiski.api.zendesk import writes
from tiski.api.zendesk.mapping import contact_user_id
from tiski.customers.actions import get_or_create_contact
from tiski.customers.models import IdentityKind, NameSource
from tiski.tickets.models import Ticket

RETURN_TAGS = ["verkkokauppa", "palautus"]


def keep_zendesk_script(admin: User, support: Team) -> Ticket:
    """A returned parcel reported by the shop, then noted and taken by the warehouse step.

    The script names the customer as the comment's author (Zendesk's
    ``author_id``), so the first message is the customer's return form and
    nothing is mailed back to her.
    """
    customer, _created = get_or_create_contact(
        IdentityKind.EMAIL,
        "eveliina.makela@esimerkki.fi",
        name="Eveliina Mäkelä",
        name_source=NameSource.AGENT,
    )
    customer_id = contact_user_id(customer.pk)
    ticket, _first = writes.open_ticket(
        {
            "subject": "Palautus saapunut: tilaus 90412",
            "comment": {
                "body": "Asiakas palautti tilauksen 90412 (kahvinkeitin Moka Rapido 300). "
                "Syy: laite ei lämpene. Palautusnumero R-5521.",
                "author_id": customer_id,
            },
            "requester_id": customer_id,
            "type": "complaint",
            "priority": "high",
            "group_id": support.pk,
            "tags": RETURN_TAGS,
        },
        admin,
    )
    writes.change_ticket(
        ticket,
        {
            "status": "open",
            "assignee_id": admin.pk,
            "comment": {
                "body": "Varasto tarkasti laitteen: lämpövastus viallinen. Hyvitys hyväksytty.",
                "public": False,
            },
        },
        admin,
    )
    return ticket
