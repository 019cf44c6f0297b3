"""The inbox's ticket rows, written in Python.

Fifty rows are most of the inbox's rendering time: a Django template pays
for every variable lookup, filter and tag in each row. This writes the same
markup (``desk/_ticket_rows.html`` keeps the empty state and "Show more")
with the same helpers the template tags use, so a badge looks alike on
every page. Everything from a ticket or a person is escaped by
``format_html``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from tiski.tickets.models import Status, Ticket

from .templatetags.desk import channel_icon, priority_badge, sla_badge, status_badge

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


def ticket_rows(tickets: Iterable[Ticket], context: dict) -> SafeString:
    """The rows of a ticket list; ``context`` is the template's (for the
    request's priority labels)."""
    parts = _Parts(context)
    return mark_safe(  # noqa: S308 - each row is built by format_html
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
    url = parts.url_of(ticket)
    updated: datetime = localtime(ticket.updated_at)
    return format_html(
        ROW,
        " is-new" if ticket.status == Status.NEW else "",
        url,
        ticket.pk,
        ticket.pk,
        escape(_("Select ticket #%(number)s") % {"number": ticket.number}),
        parts.priority(ticket.priority),
        url,
        ticket.subject,
        parts.channel(ticket.channel),
        ticket.number,
        format_html(" · {}", ticket.type.name) if ticket.type else "",
        format_html(" · {}", ticket.team.name) if ticket.team else "",
        format_html_join(
            "", ' <span class="tag">{}</span>', ((t.name,) for t in ticket.tags.all())
        ),
        ticket.requester,
        parts.status(ticket.status),
        sla_badge(ticket),
        ticket.assignee if ticket.assignee else NOBODY,
        updated.isoformat(),
        date_format(updated, "DATETIME_FORMAT"),
        naturaltime(ticket.updated_at),
    )
