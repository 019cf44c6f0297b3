"""Merge suggestions on a contact's page."""

from __future__ import annotations

from django import template

from tiski.customers import merge
from tiski.customers.models import Contact

register = template.Library()


@register.inclusion_tag("desk/_merge_suggestions.html", takes_context=True)
def merge_suggestions(context, contact: Contact) -> dict:
    return {
        "contact": contact,
        "suggestions": merge.suggestions_for(contact, limit=5),
        "can_merge": context["request"].user.can_reply_publicly,
    }
