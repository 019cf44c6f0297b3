"""An agent's public reply from the ticket page, as the channels' outbound tests send it."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

REPLY_TEXT = "Tilaus lähti tänään."


def reply(client: Client, ticket, text: str = REPLY_TEXT, *files, **fields):
    """POST the composer's form: ``files`` as attachments, ``fields`` added (reply_channel)."""
    data = {
        "kind": "public",
        "text": text,
        "last_seen_message": ticket.messages.last().pk,
        "attachments": list(files),
        **fields,
    }
    return client.post(reverse("desk:ticket-reply", args=[ticket.number]), data)
