"""``include=``: the users, groups and organizations a page of tickets refers to.

Zendesk's side-loading puts them next to the tickets, each once, as
top-level lists (``{"tickets": [...], "users": [...], "groups": [...]}``),
so a client needs no request per ticket. Here each kind costs a fixed
number of queries whatever the page size. ``include=users,groups`` and the
search's ``include=tickets(users)`` are both read; other names are ignored,
as Zendesk ignores a side-load it does not have.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from tiski.accounts.models import Team, User
from tiski.customers.models import Contact, Organisation

from . import mapping, shapes

KINDS = ("users", "groups", "organizations")
USER_KEYS = ("requester_id", "submitter_id", "assignee_id")


def wanted(request: HttpRequest) -> list[str]:
    """The side-loads asked for, in ``KINDS`` order."""
    raw = ",".join(request.GET.getlist("include"))
    # "tickets(users,groups)" names the same side-loads for the search's tickets.
    names = {part.strip() for part in re.sub(r"\w+\(([^)]*)\)", r"\1", raw).split(",")}
    return [kind for kind in KINDS if kind in names]


def _user_ids(tickets: Iterable[dict[str, Any]]) -> set[int]:
    ids: set[int] = set()
    for t in tickets:
        ids.update(t[key] for key in USER_KEYS if t.get(key) is not None)
        ids.update(t.get("collaborator_ids") or [])
    return ids


def _users(tickets: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    ids = _user_ids(tickets)
    agents = shapes.user_queryset(
        User.objects.filter(pk__in=[i for i in ids if not mapping.is_contact_id(i)])
    )
    contacts = shapes.contact_queryset(
        Contact.objects.filter(
            pk__in=[mapping.contact_pk(i) for i in ids if mapping.is_contact_id(i)]
        )
    )
    return [shapes.agent(u, base) for u in agents.order_by("pk")] + [
        shapes.end_user(c, base) for c in contacts.order_by("pk")
    ]


def _ids(tickets: list[dict[str, Any]], key: str) -> set[int]:
    return {t[key] for t in tickets if t.get(key) is not None}


def side_loads(request: HttpRequest, tickets: list[dict[str, Any]], base: str) -> dict[str, Any]:
    """The asked-for lists for these tickets (Zendesk's JSON), to add to the answer."""
    kinds = wanted(request)
    loaded: dict[str, Any] = {}
    if "users" in kinds:
        loaded["users"] = _users(tickets, base)
    if "groups" in kinds:
        teams = Team.objects.filter(pk__in=_ids(tickets, "group_id")).order_by("pk")
        loaded["groups"] = [shapes.group(t, base) for t in teams]
    if "organizations" in kinds:
        orgs = shapes.organization_queryset(
            Organisation.objects.filter(pk__in=_ids(tickets, "organization_id"))
        ).order_by("pk")
        loaded["organizations"] = [shapes.organization(o, base) for o in orgs]
    return loaded
