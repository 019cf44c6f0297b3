"""Which channel a public reply written by a feature goes out on (a ready answer in bulk).

Ready answers sit a floor below the channels, so they cannot ask the
channels' reply route themselves. ``reply_channel`` hands the ticket to the
function named by ``settings.TISKI_REPLY_CHANNEL`` (the connectors'
``routes.reply_channel``: the channel and meta of the conversation's
route, the same decision the desk's composer and the API make), the way
``automatic_mail`` reaches the email outbox: a name in settings, not an import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import Ticket


def reply_channel(ticket: Ticket) -> tuple[str, dict[str, Any]]:
    """(channel, meta) to write a public reply with; the ticket's channel without a route."""
    path = getattr(settings, "TISKI_REPLY_CHANNEL", "")
    if not path:
        return ticket.channel, {}
    return import_string(path)(ticket)
