"""Survey figures, defined once: the reports, the command and the API call these.

- **CSAT** = satisfied answers (4 or 5 on 1-5) / answered surveys, in percent.
- **NPS** = % promoters (9-10) - % detractors (0-6) of the answered surveys,
  from -100 to 100; passives (7-8) count only in the denominator.
- **Response rate** = answered / sent, in percent.

A survey belongs to the period it was *sent* in, so the response rate of a
period compares like with like. The pure ``*_from_scores`` functions hold
the maths; ``csat`` and ``nps`` read the rows (optionally a narrowed
queryset: a team's, an agent's).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from .models import SurveyInvitation, SurveyKind

SATISFIED = frozenset({4, 5})
PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class CsatResult:
    sent: int
    answered: int
    satisfied: int

    @property
    def score(self) -> float | None:
        """Percent satisfied of the answered; None without answers."""
        return _percent(self.satisfied, self.answered)

    @property
    def response_rate(self) -> float | None:
        return _percent(self.answered, self.sent)


@dataclass(frozen=True)
class NpsResult:
    sent: int
    answered: int
    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> float | None:
        """% promoters - % detractors, -100..100; None without answers."""
        if not self.answered:
            return None
        return round(100.0 * (self.promoters - self.detractors) / self.answered, 1)

    @property
    def response_rate(self) -> float | None:
        return _percent(self.answered, self.sent)


def csat_from_scores(scores: Iterable[int], *, sent: int) -> CsatResult:
    answered = satisfied = 0
    for score in scores:
        answered += 1
        satisfied += score in SATISFIED
    return CsatResult(sent=sent, answered=answered, satisfied=satisfied)


def nps_from_scores(scores: Iterable[int], *, sent: int) -> NpsResult:
    promoters = passives = detractors = 0
    for score in scores:
        if score >= PROMOTER_MIN:
            promoters += 1
        elif score <= DETRACTOR_MAX:
            detractors += 1
        else:
            passives += 1
    return NpsResult(
        sent=sent,
        answered=promoters + passives + detractors,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
    )


def _sent_in(
    kind: str, start: datetime, end: datetime, queryset: QuerySet[SurveyInvitation] | None
) -> QuerySet[SurveyInvitation]:
    rows = queryset if queryset is not None else SurveyInvitation.objects.all()
    return rows.filter(kind=kind, sent_at__gte=start, sent_at__lt=end)


def _scores(rows: QuerySet[SurveyInvitation]) -> list[int]:
    return list(rows.filter(score__isnull=False).values_list("score", flat=True))


def csat(
    start: datetime, end: datetime, queryset: QuerySet[SurveyInvitation] | None = None
) -> CsatResult:
    """CSAT of the surveys sent in [start, end)."""
    rows = _sent_in(SurveyKind.CSAT, start, end, queryset)
    return csat_from_scores(_scores(rows), sent=rows.count())


def nps(
    start: datetime, end: datetime, queryset: QuerySet[SurveyInvitation] | None = None
) -> NpsResult:
    """NPS of the surveys sent in [start, end)."""
    rows = _sent_in(SurveyKind.NPS, start, end, queryset)
    return nps_from_scores(_scores(rows), sent=rows.count())
