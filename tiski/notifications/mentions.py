"""`@name` in an internal note: finding, checking and suggesting the agents meant.

An agent's handle is the part of their email address before the @
(``@maija.virtanen``): unique enough in one desk, typeable, and stable when
the display name changes. A mention reaches only agents who may see the
ticket; the desk refuses a note that names anyone else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Q

from tiski.accounts.models import User
from tiski.tickets.models import Ticket

# Not after a word character or dot, so "maija@yritys.fi" is no mention.
_MENTION = re.compile(r"(?<![\w.@])@([\w][\w.+-]*)")


def handle(user: User) -> str:
    return user.email.split("@", 1)[0].lower()


def find_handles(text: str) -> list[str]:
    """Handles named in the text, in order, once each (a sentence's dot trimmed)."""
    seen: list[str] = []
    for match in _MENTION.finditer(text or ""):
        name = match.group(1).rstrip(".-+").lower()
        if name and name not in seen:
            seen.append(name)
    return seen


@dataclass
class Mentions:
    users: list[User] = field(default_factory=list)
    # Agents named who may not see the ticket.
    refused: list[User] = field(default_factory=list)


def _may_see(user: User, ticket: Ticket) -> bool:
    return Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists()


def resolve(ticket: Ticket, text: str) -> Mentions:
    """The agents a note mentions, split into those who may see the ticket and not."""
    handles = find_handles(text)
    result = Mentions()
    if not handles:
        return result
    query = Q()
    for name in handles:
        query |= Q(email__istartswith=f"{name}@")
    for user in User.objects.filter(query, is_active=True).order_by("name", "pk"):
        if handle(user) not in handles:
            continue
        (result.users if _may_see(user, ticket) else result.refused).append(user)
    return result


def candidates(ticket: Ticket, typed: str, limit: int = 8) -> list[User]:
    """Agents who may see the ticket whose name or handle starts with what was typed."""
    typed = typed.strip().lstrip("@").lower()
    users = User.objects.filter(is_active=True).order_by("name", "pk")
    if typed:
        users = users.filter(
            Q(email__istartswith=typed)
            | Q(name__istartswith=typed)
            | Q(name__icontains=f" {typed}")
        )
    found: list[User] = []
    for user in users[:200]:
        if _may_see(user, ticket):
            found.append(user)
            if len(found) == limit:
                break
    return found
