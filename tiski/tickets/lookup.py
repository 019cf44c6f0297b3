"""Finding one ticket for a request: by number, only if this user may see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404
from django.utils.translation import gettext as _

from .models import Ticket

if TYPE_CHECKING:
    from tiski.accounts.models import User


def get_visible_ticket(user: User, number: int) -> Ticket:
    """The ticket with this number if ``user`` sees it, else 404.

    A ticket the user may not see answers exactly like one that does not
    exist, so a number never tells what lies behind it. Every view that
    takes a ticket number from a URL or a form goes through here (and so
    through `Ticket.objects.visible_to`).
    """
    try:
        return (
            Ticket.objects.visible_to(user)
            .select_related("requester", "assignee", "team", "type")
            .get(number=number)
        )
    except Ticket.DoesNotExist as exc:
        raise Http404(_("No such ticket.")) from exc
