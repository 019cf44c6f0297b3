"""Click-to-call: ask the telephony side to start a call from an agent's phone.

Tiski posts ``{"to", "agent_email", "extension", "line", "ticket"}`` as JSON
to the line's click-to-call URL with ``Authorization: Bearer <secret>``.
The call itself then arrives through the event webhook like any other
(an ``outbound`` event), so this module only starts it. `post_dial` is the
one network call, for tests to patch or point at a fake provider.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from tiski.accounts.models import User
from tiski.core.secrets import resolve

from .models import PhoneLine

TIMEOUT = 10


class DialError(Exception):
    pass


def post_dial(url: str, payload: dict, secret: str) -> int:
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    req = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as response:  # noqa: S310 - admin-set URL
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError) as exc:
        raise DialError(str(exc)) from exc


def line_for_agent(user: User) -> PhoneLine | None:
    """A click-to-call capable line of one of the agent's teams, else any."""
    lines = PhoneLine.objects.filter(active=True).exclude(click_to_call_url="")
    return lines.filter(team__members=user).order_by("pk").first() or lines.order_by("pk").first()


def dial(user: User, number: str, *, ticket_number: int | None = None) -> PhoneLine:
    line = line_for_agent(user)
    if line is None:
        raise DialError("no line with click-to-call")
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
        raise DialError(f"HTTP {status}")
    return line
