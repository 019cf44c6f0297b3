"""The SMS channel's notes on a contact's phone numbers, for the desk's pages."""

from __future__ import annotations

from django import template

from tiski.connectors.sms import optout
from tiski.connectors.sms.models import SmsOptOut

register = template.Library()


@register.simple_tag
def sms_opt_out(identity) -> SmsOptOut | None:  # type: ignore[no-untyped-def]
    """The number's STOP (when, with which word), or None; only phone identities ask."""
    if getattr(identity, "kind", "") != "phone":
        return None
    return optout.opt_out_of(identity.value)
