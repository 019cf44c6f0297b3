"""The one sandboxed renderer for admin-written texts: rule notes and emails,
ready answers, acknowledgements.

These texts are written by admins but rendered for any ticket, so they must
never reach data beyond a short, fixed list of values. Django or Jinja
templates over model objects would allow ``{{ ticket.requester.notes }}``
and worse; here a placeholder is only ever looked up, as a whole string, in
a dict of plain strings built for the purpose. Anything else renders empty.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tiski.tickets.models import Ticket

ALLOWED_PLACEHOLDERS: tuple[str, ...] = (
    "ticket.number",
    "ticket.subject",
    "ticket.url",
    "requester.first_name",
    "requester.name",
    "agent.name",
    "organisation.name",
)

_ALLOWED = frozenset(ALLOWED_PLACEHOLDERS)

# Non-greedy and bounded so a stray "{{" cannot swallow a whole text.
# The optional space before a placeholder is captured so an empty value can
# take it along ("Hei {{ requester.first_name }}," -> "Hei,").
PLACEHOLDER = re.compile(r"( ?)\{\{(.{0,100}?)\}\}", re.DOTALL)


@lru_cache(maxsize=1024)
def _parsed(template: str) -> tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]:
    """The template cut at its placeholders, once per distinct text: the
    texts between them (one more than the slots) and each slot's (space
    before it, name, the placeholder as written).

    A time-rule pass renders the same few templates for thousands of
    tickets; filling the cut pieces is much cheaper than matching the
    pattern again for each one.
    """
    texts: list[str] = []
    slots: list[tuple[str, str, str]] = []
    end = 0
    for match in PLACEHOLDER.finditer(template):
        texts.append(template[end : match.start()])
        slots.append((match.group(1), match.group(2).strip(), match.group(0)))
        end = match.end()
    texts.append(template[end:])
    return tuple(texts), tuple(slots)


def placeholders(template: str) -> list[str]:
    """The placeholder names a template uses, stripped, in order."""
    return [name for _space, name, _whole in _parsed(template)[1]]


def unknown_placeholders(template: str) -> list[str]:
    return [name for name in placeholders(template) if name not in ALLOWED_PLACEHOLDERS]


def render(
    template: str,
    values: Mapping[str, str],
    *,
    allowed: Collection[str] = ALLOWED_PLACEHOLDERS,
    keep_unknown: bool = False,
) -> str:
    """Substitute allowed placeholders from `values`.

    A placeholder outside `allowed` renders empty, or stays as written with
    ``keep_unknown`` (so an admin sees the typo in a preview or test mail).
    An empty value takes the space before it along ("Hei {{ x }}," -> "Hei,").
    """
    texts, slots = _parsed(template or "")
    out = [texts[0]]
    for (space, name, whole), after in zip(slots, texts[1:], strict=True):
        if name not in allowed:
            out.append(whole if keep_unknown else space)
        else:
            value = values.get(name, "")
            if isinstance(value, str) and value:
                out.append(space)
                out.append(value)
        out.append(after)
    return "".join(out)


def ticket_values(
    ticket: Ticket, base_url: str = "", names: Iterable[str] | None = None
) -> dict[str, str]:
    """The only values templates can see, copied out of the ticket as strings.

    With `names`, only those are computed: a reminder that never shows the
    link does not pay for (or depend on) reversing the desk's URL.
    """
    wanted = _ALLOWED if names is None else _ALLOWED.intersection(names)
    requester = ticket.requester
    name = (requester.name or "").strip()
    # Plain branches, not a table of getters built per call: a time-rule
    # pass fills thousands of notices.
    values: dict[str, str] = {}
    for key in wanted:
        if key == "ticket.number":
            values[key] = str(ticket.number)
        elif key == "ticket.subject":
            values[key] = ticket.subject
        elif key == "ticket.url":
            values[key] = base_url.rstrip("/") + ticket.get_absolute_url()
        elif key == "requester.first_name":
            values[key] = name.split()[0] if name else ""
        elif key == "requester.name":
            values[key] = name
        elif key == "agent.name":
            values[key] = ticket.assignee.name if ticket.assignee else ""
        elif key == "organisation.name":
            values[key] = requester.organisation.name if requester.organisation else ""
    return values
