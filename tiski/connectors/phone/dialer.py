"""Click-to-call: ask the telephony side to start a call from an agent's phone.

Tiski posts ``{"to", "agent_email", "extension", "line", "ticket"}`` as JSON
to the line's click-to-call URL with ``Authorization: Bearer <secret>``.
The call itself then arrives through the event webhook like any other
(an ``outbound`` event), so this module only starts it. `post_dial` is the
one network call, for tests to patch or point at a fake provider.
"""

from __future__ import annotations

from tiski.accounts.models import User
from tiski.connectors import transport
from tiski.connectors.transport import TransportError
from tiski.core.secrets import resolve

from .models import PhoneLine


def post_dial(url: str, payload: dict, secret: str) -> int:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return transport.request("POST", url, json=payload, headers=headers, check=False).status


def line_for_agent(user: User) -> PhoneLine | None:
    """A click-to-call capable line of one of the agent's teams, else any."""
    lines = PhoneLine.objects.filter(active=True).exclude(click_to_call_url="")
    return lines.filter(team__members=user).order_by("pk").first() or lines.order_by("pk").first()


def dial(user: User, number: str, *, ticket_number: int | None = None) -> PhoneLine:
    line = line_for_agent(user)
    if line is None:
        raise TransportError("no line with click-to-call", permanent=True)
    extension = getattr(getattr(user, "phone", None), "extension", "")
    payload = {
        "to": number,
        "agent_email": user.email,
        "extension": extension,
        "line": line.number,
        "ticket": ticket_number,
    }
    status = post_dial(line.click_to_call_url, payload, resolve(line.click_to_call_secret))
    if status >= 300:
        raise TransportError(f"HTTP {status}", permanent=status < 500)
    return line
