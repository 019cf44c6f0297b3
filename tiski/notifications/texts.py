"""Each kind of notice as a sentence, written when it is read, in the reader's language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from .kinds import Kind

if TYPE_CHECKING:
    from .models import Notification


def _sentences() -> dict[str, str]:
    return {
        Kind.MENTION: _("%(actor)s mentioned you on #%(number)s: %(excerpt)s"),
        Kind.CUSTOMER_MESSAGE: _("The customer wrote on #%(number)s: %(excerpt)s"),
        Kind.CHANGE: _("%(actor)s changed #%(number)s: %(what)s"),
        Kind.ESCALATED: _("%(actor)s escalated #%(number)s to you: %(excerpt)s"),
        Kind.CHILDREN_SOLVED: _("Every child ticket of #%(number)s is solved."),
    }


def _field_label(name: str) -> str:
    from tiski.tickets.models import Ticket

    if name == "tags":
        return _("tags")
    try:
        return str(Ticket._meta.get_field(name).verbose_name)
    except Exception:  # a field removed since the notice was written
        return name


def render(notice: Notification) -> str:
    """The notice's sentence; stored text (rules, assignments) as written."""
    sentence = _sentences().get(notice.kind)
    if sentence is None or notice.text:
        return notice.text
    params = {
        "actor": str(notice.actor) if notice.actor_id else _("Someone"),
        "number": notice.ticket.number if notice.ticket_id else "",
        "excerpt": "",
        "what": "",
        **{key: str(value) for key, value in notice.params.items() if key != "fields"},
    }
    if notice.params.get("fields"):
        params["what"] = ", ".join(_field_label(name) for name in notice.params["fields"])
    return sentence % params
