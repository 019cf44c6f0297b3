"""The knowledge base's pieces on the ticket page: the composer's picker, suggestions."""

from __future__ import annotations

from typing import Any

from django import template

from tiski.knowledge import search
from tiski.knowledge.models import LANGUAGES

register = template.Library()


def ticket_language(ticket: Any) -> str:
    language = (getattr(ticket.requester, "language", "") or "fi")[:2]
    return language if language in LANGUAGES else "fi"


@register.inclusion_tag("knowledge/_suggested.html")
def suggested_articles(ticket: Any) -> dict[str, Any]:
    """Published articles (internal ones too) matching the ticket's subject."""
    language = ticket_language(ticket)
    return {"hits": search.suggest_for_ticket(ticket.subject, language), "lang": language}


@register.inclusion_tag("knowledge/_composer_picker.html", takes_context=True)
def article_picker(context: template.Context, ticket: Any) -> dict[str, Any]:
    return {
        "ticket": ticket,
        "lang": ticket_language(ticket),
        "csp_nonce": context.get("csp_nonce", ""),
    }
