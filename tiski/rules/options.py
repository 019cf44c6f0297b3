"""Options read from the database when the builder draws a row.

Each is an option source for `params.param(options=...)`: a callable
returning ``(value, label)`` pairs, with the values a parameter stores and
the labels the desk shows today (a ticket type's name in the user's
language, a priority's label as admins renamed it).

Records of apps above rules (mailboxes belong to a channel) are handed in
by name: `provide("mailboxes", source)` from that side's start-up, so rules
import nothing above them; until then the source offers nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from .params import Label, OptionSource

# A select of database rows stops here; a stored value beyond it still shows.
MAX_DB_CHOICES = 500


def teams() -> list[tuple[Any, Label]]:
    from tiski.accounts.models import Team

    return [(t.pk, t.name) for t in Team.objects.order_by("name")[:MAX_DB_CHOICES]]


def agents() -> list[tuple[Any, Label]]:
    from tiski.accounts.models import User

    users = User.objects.order_by("-is_active", "name")[:MAX_DB_CHOICES]
    return [
        (u.pk, str(u) if u.is_active else _("%(name)s (inactive)") % {"name": u}) for u in users
    ]


def organisations() -> list[tuple[Any, Label]]:
    from tiski.customers.models import Organisation

    return [(o.pk, o.name) for o in Organisation.objects.order_by("name")[:MAX_DB_CHOICES]]


def ticket_types() -> list[tuple[Any, Label]]:
    from tiski.tickets.models import TicketType

    return [(t.slug, t.name) for t in TicketType.objects.all()[:MAX_DB_CHOICES]]


_provided: dict[str, OptionSource] = {}


def provide(name: str, source: OptionSource) -> None:
    """Hand in the source behind `provided(name)`."""
    _provided[name] = source


def provided(name: str) -> Callable[[], list[tuple[Any, Label]]]:
    """An option source that reads whatever was provided under `name`."""

    def options() -> list[tuple[Any, Label]]:
        source = _provided.get(name)
        return list(source())[:MAX_DB_CHOICES] if source is not None else []

    options.__qualname__ = f"provided({name!r})"
    return options


# The mailbox condition's values: lower-cased addresses (Settings provides them).
mailboxes = provided("mailboxes")


def priorities() -> list[tuple[Any, Label]]:
    """The four priorities under the labels admins gave them in Settings."""
    from tiski.tickets.labels import priority_choices

    return list(priority_choices())


def fixed_then(fixed: Mapping[Any, Label], source: OptionSource) -> Callable[[], list]:
    """Values fixed in code ("the assignee") followed by rows from `source`."""

    def options() -> list[tuple[Any, Label]]:
        found: Iterable[tuple[Any, Label]] = source()
        return [*fixed.items(), *found]

    return options
