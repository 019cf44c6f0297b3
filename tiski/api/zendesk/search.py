"""``search.json``: Zendesk's query syntax over the tickets the user sees.

Filters become conditions on ``Ticket.objects.visible_to(user)``; the words
go to the desk's own full-text search (the same index, Finnish lemmas and
all). ``type:user`` and ``type:organization`` find people and organisations
by name, address or number. Results are offset pages, as Zendesk's are.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.accounts.models import User
from tiski.customers.models import Identity, Organisation
from tiski.search import query as desk_query
from tiski.search.service import RANK_CANDIDATES, engine
from tiski.tickets.models import Tag, Ticket

from . import mapping, pages, people, shapes, sideload
from .endpoint import api_base, endpoint
from .errors import bad_parameter
from .query import Condition, QueryError, ZendeskQuery, ordered_values, parse, parse_time

SORTS = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "priority": "priority_rank",
    "status": "status",
    "ticket_type": "type__slug",
}


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _time_condition(column: str, op: str, when: datetime | date) -> Q:
    if isinstance(when, datetime):
        lookups = {":": "gte", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
        return Q(**{f"{column}__{lookups[op]}": when})
    start, end = _day_start(when), _day_start(date.fromordinal(when.toordinal() + 1))
    # A date is the whole day in the desk's time zone.
    return {
        ":": Q(**{f"{column}__gte": start, f"{column}__lt": end}),
        "<": Q(**{f"{column}__lt": start}),
        "<=": Q(**{f"{column}__lt": end}),
        ">": Q(**{f"{column}__gte": end}),
        ">=": Q(**{f"{column}__gte": start}),
    }[op]


def _person_condition(prefix: str, value: str, user: User) -> Q:
    if value == "none":
        return Q(**{f"{prefix}__isnull": True})
    if value == "me":
        return Q(**{f"{prefix}_id": user.pk})
    if value.isdigit():
        return Q(**{f"{prefix}_id": int(value)})
    if "@" in value:
        return Q(**{f"{prefix}__email__iexact": value})
    return Q(**{f"{prefix}__name__icontains": value})


def _requester_condition(value: str) -> Q:
    if value.isdigit() and mapping.is_contact_id(int(value)):
        return Q(requester_id=mapping.contact_pk(int(value)))
    identities = Identity.objects.filter(contact_id=OuterRef("requester_id"))
    if "@" in value or value.lstrip("+").isdigit():
        return Q(Exists(identities.filter(value__iexact=value)))
    return Q(requester__name__icontains=value)


def _ticket_condition(c: Condition, user: User, now: datetime) -> Q:
    value = c.value
    if c.key == "status":
        chosen = ordered_values(mapping.STATUSES, c.op, value)
        return Q(status__in=[mapping.tiski_status(s) for s in chosen])
    if c.key == "priority":
        return Q(priority__in=ordered_values(mapping.PRIORITIES, c.op, value))
    if c.key == "assignee":
        return _person_condition("assignee", value, user)
    if c.key == "group":
        if value == "none":
            return Q(team__isnull=True)
        return Q(team_id=int(value)) if value.isdigit() else Q(team__name__iexact=value)
    if c.key == "tags":
        return Q(tags__name=Tag.normalise(value))
    if c.key == "requester":
        return _requester_condition(value)
    if c.key == "organization":
        if value.isdigit():
            return Q(requester__organisation_id=int(value))
        return Q(requester__organisation__name__iexact=value)
    column = {"created": "created_at", "updated": "updated_at", "solved": "solved_at"}[c.key]
    return _time_condition(column, c.op, parse_time(value, now))


def search_tickets(user: User, query: ZendeskQuery, now: datetime) -> QuerySet[Ticket]:
    qs = Ticket.objects.visible_to(user)
    tags = [c for c in query.conditions if c.key == "tags" and not c.negated]
    if tags:
        # Several tags:… find tickets with any of them, as in Zendesk.
        any_tag = Q(pk__in=[])
        for c in tags:
            any_tag |= _ticket_condition(c, user, now)
        qs = qs.filter(pk__in=Ticket.objects.filter(any_tag).values("pk"))
    for c in query.conditions:
        if c.key == "tags" and not c.negated:
            continue
        condition = _ticket_condition(c, user, now)
        if c.key == "tags":
            qs = qs.exclude(pk__in=Ticket.objects.filter(condition).values("pk"))
        else:
            qs = qs.exclude(condition) if c.negated else qs.filter(condition)
    return _full_text(qs, query.text)


def _full_text(qs: QuerySet[Ticket], text: str) -> QuerySet[Ticket]:
    if not text.strip():
        return qs
    try:
        parsed = desk_query.parse(text)
    except desk_query.QueryError as exc:
        raise bad_parameter("query", str(exc)) from exc
    search = engine()
    if parsed.excluded and not parsed.has_text:
        return search.exclude_words(qs, parsed)
    if not parsed.has_text:
        return qs
    ids = [pk for pk, _rank in search.ranked(qs, parsed, RANK_CANDIDATES)]
    return qs.filter(pk__in=ids)


def _sorted(request: HttpRequest, qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    column = SORTS.get(request.GET.get("sort_by", "updated_at"))
    if column is None:
        raise bad_parameter("sort_by", _("Choose from: %(names)s.") % {"names": ", ".join(SORTS)})
    sign = "" if request.GET.get("sort_order") == "asc" else "-"
    return qs.order_by(f"{sign}{column}", f"{sign}number")


def _results(request: HttpRequest, query: ZendeskQuery, now: datetime) -> tuple[int, list[dict]]:
    base = api_base(request)
    if query.type == "ticket":
        qs = _sorted(request, shapes.ticket_queryset(search_tickets(request.user, query, now)))
        page = pages.offset_page(request, pages.Source(qs.count, _window(qs), *_no_cursor()))
        rows = [{**shapes.ticket(t, base), "result_type": "ticket"} for t in page.items]
        return page, rows
    if query.type == "organization":
        orgs = shapes.organization_queryset(
            Organisation.objects.filter(name__icontains=query.text.strip('"'))
        ).order_by("pk")
        page = pages.offset_page(request, pages.Source(orgs.count, _window(orgs), *_no_cursor()))
        return page, [
            {**shapes.organization(o, base), "result_type": "organization"} for o in page.items
        ]
    page = pages.offset_page(request, people.people_source(*people.matching_people(query.text)))
    return page, [{**people.person(p, base), "result_type": "user"} for p in page.items]


def _window(qs):
    return lambda start, size: list(qs[start : start + size])


def _no_cursor():
    def refuse(*_args):
        raise bad_parameter("page", _("Search answers in numbered pages only."))

    return refuse, refuse, refuse


@endpoint("GET")
def search(request: HttpRequest):
    now = timezone.now()
    try:
        query = parse(request.GET.get("query", ""), now)
    except QueryError as exc:
        raise bad_parameter("query", str(exc)) from exc
    page, rows = _results(request, query, now)
    loaded = sideload.side_loads(request, rows, api_base(request)) if query.type == "ticket" else {}
    return {"results": rows, "facets": None, **loaded, **page.meta}


@endpoint("GET")
def search_count(request: HttpRequest):
    now = timezone.now()
    try:
        query = parse(request.GET.get("query", ""), now)
    except QueryError as exc:
        raise bad_parameter("query", str(exc)) from exc
    if query.type != "ticket":
        raise bad_parameter("query", _("Counts are for tickets only."))
    return {"count": search_tickets(request.user, query, now).count()}
