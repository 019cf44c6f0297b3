"""Option sources Settings hands to the rule builder (see `rules.options.provide`)."""

from __future__ import annotations

from typing import Any

from tiski.connectors.models import Mailbox


def mailbox_options() -> list[tuple[Any, str]]:
    """Every mailbox by its lower-cased address, as the mailbox condition compares them."""
    return [
        (m.address.lower(), f"{m.display_name} <{m.address}>" if m.display_name else m.address)
        for m in Mailbox.objects.order_by("address")
    ]
