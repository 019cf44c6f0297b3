"""The ticket page's side-panel cards, loaded by HTMX after the page.

The ticket page only holds a placeholder asking for `ticket_cards`; each
JSON card then asks for its own `card_body`, so a slow CRM delays one card,
never the ticket. The ticket is read through `get_visible_ticket`: nobody
learns a URL or a CRM answer for a ticket they may not see.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tiski.tickets.lookup import get_visible_ticket

from . import fetching, templating
from .models import CardKind, SidePanelCard


@login_required
@require_GET
def ticket_cards(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    cards = list(SidePanelCard.objects.filter(active=True))
    values = templating.ticket_values(ticket) if cards else {}
    shown = [
        {
            "card": card,
            "url": templating.render(card.url_template, values),
            "is_json": card.kind == CardKind.JSON,
        }
        for card in cards
    ]
    return render(request, "sidepanel/_cards.html", {"ticket": ticket, "cards": shown})


@login_required
@require_GET
def card_body(request: HttpRequest, number: int, card_id: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    card = SidePanelCard.objects.filter(pk=card_id, active=True, kind=CardKind.JSON).first()
    if card is None:
        raise Http404
    url = templating.render(card.url_template, templating.ticket_values(ticket))
    data = fetching.card_data(card, url)
    return render(request, "sidepanel/_card_body.html", {"card": card, "data": data})
