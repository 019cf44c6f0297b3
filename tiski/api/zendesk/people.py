"""Users (desk users and contacts in one id space), organizations and groups (teams).

Zendesk's "users" are both: agents and admins are Tiski's users, end users
are its contacts (their ids offset by ``mapping.END_USER_BASE``). A list
pages through the agents first, then the contacts, each by id, so the order
is stable and the cursor is the Zendesk id itself.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tiski.accounts.models import Role, Team, User
from tiski.customers.models import Contact, Identity, Organisation

from . import mapping, pages, people_writes, shapes
from .endpoint import api_base, endpoint, ids_param
from .errors import bad_parameter, not_found

ROLES = ("end-user", "agent", "admin")


def people_source(agents: QuerySet[User], contacts: QuerySet[Contact]) -> pages.Source:
    agents = shapes.user_queryset(agents).order_by("pk")
    contacts = shapes.contact_queryset(contacts).order_by("pk")
    base = mapping.END_USER_BASE

    def window(start: int, size: int) -> list[Any]:
        n_agents = agents.count()
        rows: list[Any] = list(agents[start : start + size]) if start < n_agents else []
        from_contacts = max(0, start - n_agents)
        return rows + list(contacts[from_contacts : from_contacts + size - len(rows)])

    def after(last: int | None, size: int) -> list[Any]:
        if last is not None and last >= base:
            return list(contacts.filter(pk__gt=last - base)[:size])
        rows: list[Any] = list((agents if last is None else agents.filter(pk__gt=last))[:size])
        return rows + list(contacts[: size - len(rows)])

    def before(first: int, size: int) -> list[Any]:
        rows: list[Any] = []
        if first >= base:
            rows = list(contacts.filter(pk__lt=first - base).order_by("-pk")[:size])
            first = base
        rows += list(agents.filter(pk__lt=first).order_by("-pk")[: size - len(rows)])
        return list(reversed(rows))

    return pages.Source(
        count=lambda: agents.count() + contacts.count(),
        window=window,
        after=after,
        before=before,
        key=_zendesk_id,
    )


def _zendesk_id(row: User | Contact) -> int:
    return mapping.contact_user_id(row.pk) if isinstance(row, Contact) else row.pk  # type: ignore[return-value]


def person(row: User | Contact, base: str) -> dict[str, Any]:
    return shapes.end_user(row, base) if isinstance(row, Contact) else shapes.agent(row, base)


def _people(request: HttpRequest, agents: QuerySet[User], contacts: QuerySet[Contact]) -> dict:
    roles = request.GET.getlist("role") + request.GET.getlist("role[]")
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise bad_parameter("role", _("Choose from: %(names)s.") % {"names": ", ".join(ROLES)})
    if roles:
        if "end-user" not in roles:
            contacts = contacts.none()
        if "admin" not in roles:
            agents = agents.exclude(role=Role.ADMIN)
        if "agent" not in roles:
            agents = agents.filter(role=Role.ADMIN)
    page = pages.paginate(request, people_source(agents, contacts))
    base = api_base(request)
    return {"users": [person(row, base) for row in page.items], **page.meta}


@endpoint("GET", "POST")
def users(request: HttpRequest):
    if request.method == "POST":
        return people_writes.create_user(request)
    return _people(request, User.objects.all(), Contact.objects.all())


@endpoint("GET")
def users_search(request: HttpRequest):
    """``?query=``: a name, an email address or a phone number, or part of one."""
    query = request.GET.get("query", "").strip()
    if not query:
        raise bad_parameter("query", _("Give a query."))
    return _people(request, *matching_people(query))


def matching_people(text: str) -> tuple[QuerySet[User], QuerySet[Contact]]:
    """Agents and contacts whose name, address or number holds every word of ``text``."""
    agents, contacts = User.objects.all(), Contact.objects.all()
    for word in text.replace('"', " ").split():
        agents = agents.filter(Q(name__icontains=word) | Q(email__icontains=word))
        contacts = contacts.filter(
            Q(name__icontains=word)
            | Q(Exists(Identity.objects.filter(contact_id=OuterRef("pk"), value__icontains=word)))
        )
    return agents, contacts


def _find_person(user_id: int) -> User | Contact:
    if mapping.is_contact_id(user_id):
        found: Any = shapes.contact_queryset(Contact.objects.filter(pk=mapping.contact_pk(user_id)))
    else:
        found = shapes.user_queryset(User.objects.filter(pk=user_id))
    row = found.first()
    if row is None:
        raise not_found()
    return row


@endpoint("GET", "PUT")
def user(request: HttpRequest, user_id: int):
    if request.method == "PUT":
        return people_writes.update_user(request, user_id)
    return {"user": person(_find_person(user_id), api_base(request))}


@endpoint("GET")
def users_show_many(request: HttpRequest):
    base = api_base(request)
    ids = ids_param(request)
    agents = shapes.user_queryset(
        User.objects.filter(pk__in=[i for i in ids if not mapping.is_contact_id(i)])
    )
    contacts = shapes.contact_queryset(
        Contact.objects.filter(
            pk__in=[mapping.contact_pk(i) for i in ids if mapping.is_contact_id(i)]
        )
    )
    found = [*agents.order_by("pk"), *contacts.order_by("pk")]
    return {"users": [person(row, base) for row in found]}


@endpoint("GET")
def me(request: HttpRequest):
    return {"user": shapes.agent(_find_person(request.user.pk), api_base(request))}  # type: ignore[arg-type]


@endpoint("GET", "POST")
def organizations(request: HttpRequest):
    if request.method == "POST":
        return people_writes.create_organization(request)
    qs = shapes.organization_queryset(Organisation.objects.all())
    page = pages.paginate(request, pages.queryset_source(qs, "pk"))
    base = api_base(request)
    return {"organizations": [shapes.organization(o, base) for o in page.items], **page.meta}


@endpoint("GET", "PUT")
def organization(request: HttpRequest, org_id: int):
    if request.method == "PUT":
        return people_writes.update_organization(request, org_id)
    found = shapes.organization_queryset(Organisation.objects.filter(pk=org_id)).first()
    if found is None:
        raise not_found()
    return {"organization": shapes.organization(found, api_base(request))}


@endpoint("GET")
def groups(request: HttpRequest):
    page = pages.paginate(request, pages.queryset_source(Team.objects.all(), "pk"))
    base = api_base(request)
    return {"groups": [shapes.group(t, base) for t in page.items], **page.meta}


@endpoint("GET")
def group(request: HttpRequest, team_id: int):
    found = Team.objects.filter(pk=team_id).first()
    if found is None:
        raise not_found()
    return {"group": shapes.group(found, api_base(request))}
