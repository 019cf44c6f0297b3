"""The inbox's ticket rows, written in Python.

Fifty rows are most of the inbox's rendering time: a Django template pays
for every variable lookup, filter and tag in each row. This writes the same
markup (``desk/_ticket_rows.html`` keeps the empty state and "Show more")
with the same helpers the template tags use, so a badge looks alike on
every page. Everything from a ticket or a person is escaped as
``format_html`` escapes it (``widgets.escape_value``: Django's
``conditional_escape`` without the lazy-string wrapper each call pays for).
A row's tags come from ``attach_tag_names``: one query for the page's
tickets, names in the order the prefetched tags had (by name), without a
related manager per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.urls import reverse
from django.utils import dateformat
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from tiski.accounts.models import Team, User
from tiski.tickets.models import Status, Ticket, TicketType

from . import lookups
from .templatetags.desk import channel_icon, priority_badge, sla_badge, status_badge
from .widgets import escape_value

ROW = (
    '<tr class="ticket-row{}" data-ticket-url="{}" data-ticket-id="{}" tabindex="-1">\n'
    '  <td class="col-select"><input type="checkbox" name="ticket" value="{}" form="bulk-form"'
    ' data-bulk-select aria-label="{}"></td>\n'
    '  <td class="col-prio">{}</td>\n'
    '  <td class="col-subject">\n'
    '    <a href="{}" class="subject">{}</a>\n'
    '    <div class="meta">{} <span class="num">#{}</span>{}{}{}</div>\n'
    "  </td>\n"
    '  <td class="col-requester">{}</td>\n'
    '  <td class="col-status">{} {}</td>\n'
    '  <td class="col-assignee">{}</td>\n'
    '  <td class="col-updated"><time datetime="{}" title="{}">{}</time></td>\n'
    "</tr>\n"
)
NOBODY = mark_safe('<span class="muted">—</span>')  # noqa: S308 - a constant
# The columns a row shows (with its badges' and the requester's name): the
# list reads only these. A ticket and its requester are wide rows, and fifty
# of each built whole were a real share of the inbox. The type, team and
# assignee come from the lists the web process keeps (`attach_kept_relations`),
# not from three more joins and 150 more model instances a page.
ROW_FIELDS = (
    "number",
    "subject",
    "status",
    "priority",
    "channel",
    "updated_at",
    "queue_due_at",
    "sla_warn_at",
    "type_id",
    "team_id",
    "assignee_id",
    "requester__name",
)


TAG_NAMES = "_tiski_tag_names"


def attach_tag_names(tickets: Sequence[Ticket]) -> None:
    """Each ticket's tag names, by name, in one query for the whole list."""
    names: dict[int, list[str]] = {ticket.pk: [] for ticket in tickets}
    if names:
        rows = (
            Ticket.tags.through.objects.filter(ticket_id__in=names)
            .order_by("tag__name", "tag_id")
            .values_list("ticket_id", "tag__name")
        )
        for ticket_id, name in rows:
            names[ticket_id].append(name)
    for ticket in tickets:
        setattr(ticket, TAG_NAMES, names[ticket.pk])


def _tag_names(ticket: Ticket) -> list[str]:
    names = getattr(ticket, TAG_NAMES, None)
    return names if names is not None else [t.name for t in ticket.tags.all()]


def attach_kept_relations(tickets: Sequence[Ticket]) -> None:
    """Each ticket's type, team and assignee from the desk's kept lists
    (desk/lookups.py); an inactive type or agent, not in those lists, is
    read by id (one query for all such on the page)."""
    types = {t.pk: t for t in lookups.active_types()}
    teams = {t.pk: t for t in lookups.teams()}
    agents = {a.pk: a for a in lookups.active_agents()}
    missing_types = {t.type_id for t in tickets if t.type_id and t.type_id not in types}
    if missing_types:
        types.update(TicketType.objects.in_bulk(missing_types))
    missing_agents = {
        t.assignee_id for t in tickets if t.assignee_id and t.assignee_id not in agents
    }
    if missing_agents:
        agents.update(User.objects.only("name", "email").in_bulk(missing_agents))
    missing_teams = {t.team_id for t in tickets if t.team_id and t.team_id not in teams}
    if missing_teams:  # made since the kept list was read, in another process
        teams.update(Team.objects.defer("last_routed_to").in_bulk(missing_teams))
    for ticket in tickets:
        _TYPE.set_cached_value(ticket, types.get(ticket.type_id) if ticket.type_id else None)
        _TEAM.set_cached_value(ticket, teams.get(ticket.team_id) if ticket.team_id else None)
        _ASSIGNEE.set_cached_value(
            ticket, agents.get(ticket.assignee_id) if ticket.assignee_id else None
        )


_TYPE = Ticket._meta.get_field("type")
_TEAM = Ticket._meta.get_field("team")
_ASSIGNEE = Ticket._meta.get_field("assignee")


def ticket_rows(tickets: Iterable[Ticket], context: dict) -> SafeString:
    """The rows of a ticket list; ``context`` is the template's (for the
    request's priority labels)."""
    parts = _Parts(context)
    return mark_safe(  # noqa: S308 - every value in a row is escaped by _row
        "".join(_row(ticket, parts) for ticket in tickets)
    )


class _Parts:
    """What many rows share, made once per list: the badges of each priority,
    channel and status, and the ticket address around its number."""

    PLACEHOLDER = 987654321

    def __init__(self, context: dict) -> None:
        self.context = context
        self.url = reverse("desk:ticket", args=[self.PLACEHOLDER])
        self.priorities: dict[str, str] = {}
        self.channels: dict[str, str] = {}
        self.statuses: dict[str, str] = {}
        # date_format looks the format up for each call; the list's language is one.
        self.datetime_format = get_format("DATETIME_FORMAT")

    def url_of(self, ticket: Ticket) -> str:
        return self.url.replace(str(self.PLACEHOLDER), str(ticket.number))

    def priority(self, value: str) -> str:
        if value not in self.priorities:
            self.priorities[value] = priority_badge(self.context, value, True)
        return self.priorities[value]

    def channel(self, value: str) -> str:
        if value not in self.channels:
            self.channels[value] = channel_icon(value, True)
        return self.channels[value]

    def status(self, value: str) -> str:
        if value not in self.statuses:
            self.statuses[value] = status_badge(value)
        return self.statuses[value]


def _row(ticket: Ticket, parts: _Parts) -> str:
    url = escape_value(parts.url_of(ticket))
    updated: datetime = localtime(ticket.updated_at)
    return ROW.format(
        " is-new" if ticket.status == Status.NEW else "",
        url,
        ticket.pk,
        ticket.pk,
        escape_value(_("Select ticket #%(number)s") % {"number": ticket.number}),
        parts.priority(ticket.priority),
        url,
        escape_value(ticket.subject),
        parts.channel(ticket.channel),
        ticket.number,
        f" · {escape_value(ticket.type.name)}" if ticket.type else "",
        f" · {escape_value(ticket.team.name)}" if ticket.team else "",
        "".join(f' <span class="tag">{escape_value(name)}</span>' for name in _tag_names(ticket)),
        escape_value(ticket.requester),
        parts.status(ticket.status),
        sla_badge(ticket),
        escape_value(ticket.assignee) if ticket.assignee else NOBODY,
        escape_value(updated.isoformat()),
        escape_value(dateformat.format(updated, parts.datetime_format)),
        escape_value(naturaltime(ticket.updated_at)),
    )
