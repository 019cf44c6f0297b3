"""``{% ticket_rows page.tickets %}``: the inbox's rows (desk/rows.py writes them
without a template per row). A library of its own, as rows.py uses the
badge helpers of the ``desk`` library."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from ..rows import ticket_rows as rows

register = template.Library()


@register.simple_tag(takes_context=True)
def ticket_rows(context: template.Context, tickets) -> SafeString:  # noqa: ANN001
    return rows(tickets, context)
