"""Report "Escalations": how many escalations in the period, by team and by type.

Read from the `escalation_level` events (the audit trail), for the tickets the
scope counts (`Scope.facts`: visible to the reader, filtered, not merged).
Escalations are few, so the grouping is done in Python, the same on both
databases; the team is the one the ticket was escalated to.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiski.accounts.models import Team
from tiski.tickets.models import Event, EventKind, TicketType

from .metrics import Figure, ReportSpec, Result, Scope, Table, Value, register


def _counts(scope: Scope, start: datetime, end: datetime) -> list[tuple[int | None, int | None]]:
    events = Event.objects.filter(
        kind=EventKind.FIELD,
        field="escalation_level",
        created_at__gte=start,
        created_at__lt=end,
        ticket_id__in=scope.facts().values("ticket_id"),
    ).values_list("meta", "ticket__type_id")
    return [(meta.get("to_team"), type_id) for meta, type_id in events]


def _table(key: str, title: str, column: str, counts: Counter, names: dict) -> Table:
    rows = [
        [Value(names.get(k, _("None")), "text"), Value(n)]
        for k, n in sorted(counts.items(), key=lambda item: (-item[1], str(names.get(item[0]))))
    ]
    return Table(key, title, [(column, title), ("count", _("Escalations"))], rows)


def escalations(scope: Scope) -> Result:
    result = Result("escalations", str(_("Escalations")), scope)
    now = _counts(scope, scope.period.start, scope.period.end)
    before = _counts(scope, scope.previous.start, scope.previous.end) if scope.compare else None
    previous = len(before) if before is not None else None
    result.summary.append(
        Figure("escalations", _("Escalations"), Value(len(now), previous=previous))
    )
    by_team = Counter(team for team, _type in now)
    by_type = Counter(type_id for _team, type_id in now)
    teams = dict(Team.objects.filter(pk__in=[k for k in by_team if k]).values_list("pk", "name"))
    types = {t.pk: t.name for t in TicketType.objects.filter(pk__in=[k for k in by_type if k])}
    result.tables.append(_table("by_team", _("By team"), "team", by_team, teams))
    result.tables.append(_table("by_type", _("By type"), "type", by_type, types))
    return result


register(ReportSpec("escalations", gettext_lazy("Escalations"), escalations))
