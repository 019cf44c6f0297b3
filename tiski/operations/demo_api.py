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
from tiski.tickets.models import Ticket

RETURN_TAGS = ["verkkokauppa", "palautus"]


def keep_zendesk_script(admin: User, support: Team) -> Ticket:
    """A returned parcel reported by the shop, then noted and taken by the warehouse step."""
    ticket, _first = writes.open_ticket(
        {
            "subject": "Palautus saapunut: tilaus 90412",
            "comment": {
                "body": "Asiakas palautti tilauksen 90412 (kahvinkeitin Moka Rapido 300). "
                "Syy: laite ei lämpene. Palautusnumero R-5521."
            },
            "requester": {"name": "Eveliina Mäkelä", "email": "eveliina.makela@esimerkki.fi"},
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
