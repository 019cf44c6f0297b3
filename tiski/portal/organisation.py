"""Which requests a signed-in customer may read in the portal.

A contact always reads their own (as requester). When their organisation
shares requests (its own switch, or the help centre's default when the
organisation has not chosen), they also read their colleagues' requests:
the tickets whose requester belongs to the same organisation. The rule is
read on every request, so turning the switch off shuts colleagues out at
once, links already open included.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tiski.customers.models import Contact, Organisation
from tiski.knowledge.models import HelpCentreSettings
from tiski.tickets.models import Ticket


def shares_requests(organisation: Organisation | None) -> bool:
    """True if this organisation's people read each other's requests."""
    if organisation is None:
        return False
    if organisation.portal_shared is not None:
        return organisation.portal_shared
    return HelpCentreSettings.load().organisation_requests


def own_requests(contact: Contact) -> QuerySet[Ticket]:
    return Ticket.objects.filter(requester=contact)


def organisation_requests(contact: Contact) -> QuerySet[Ticket]:
    """Colleagues' requests (not the contact's own), or none when not shared."""
    if not shares_requests(contact.organisation):
        return Ticket.objects.none()
    return Ticket.objects.filter(requester__organisation_id=contact.organisation_id).exclude(
        requester=contact
    )


def readable_requests(contact: Contact) -> QuerySet[Ticket]:
    """Every ticket the contact may open, reply to, in the portal."""
    if not shares_requests(contact.organisation):
        return own_requests(contact)
    return Ticket.objects.filter(
        Q(requester=contact) | Q(requester__organisation_id=contact.organisation_id)
    )
