"""The admin's change-page title with the model name in its object form."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from tiski.core.admin_words import PARTITIVE

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_title(context: dict[str, Any]) -> str:
    """ "Muokkaa palvelutasokäytäntöä" where Django would say "Muokkaa palvelutasokäytäntö"."""
    title = str(context.get("title") or "")
    opts = context.get("opts")
    if context.get("add") or not context.get("change") or opts is None:
        return title
    if not context.get("has_change_permission", True):
        return title  # the view-only page: "Näytä %s" needs no other case
    word = PARTITIVE.get(opts.label_lower)
    if word is None:
        return _("Change: %(name)s") % {"name": opts.verbose_name}
    return _("Change %(name)s") % {"name": word}
