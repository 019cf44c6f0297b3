"""Survey facts (`models.SurveyFact`): each CSAT survey with its ticket's report columns.

The CSAT and agents reports count the period's surveys of the tickets a
user may count. Read from the invitations, that was a join of every survey
of the period to the ticket facts (about 400 ms for a year at a million
tickets); these rows carry the facts' columns themselves, so the visibility
rule and the filters apply to one narrow table. They are kept by the two
moments they can change: the ticket's facts are rewritten (`rewrite`,
called by `facts.refresh`: an answer, a reassignment, a merge are changes of
the ticket) and a survey is sent (`on_invitations_sent`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tiski.surveys.models import SurveyInvitation, SurveyKind

from .models import SurveyFact, TicketFact

# The ticket's columns a survey fact carries, named as in the facts.
TICKET_COLUMNS = ("team_id", "assignee_id", "channel", "type_id", "priority", "organisation_id")
# The survey's own columns read for a fact.
SURVEY_COLUMNS = ("pk", "ticket_id", "sent_at", "answered_at", "score", "agent_id", "team_id")
# Every column of a row, for `verify`'s comparison.
COMPARED = (
    "invitation_id",
    "ticket_id",
    "sent_at",
    "answered_at",
    "score",
    "agent_id",
    "survey_team_id",
    *TICKET_COLUMNS,
)


def _row(survey: Mapping[str, Any], fact: Mapping[str, Any]) -> SurveyFact:
    return SurveyFact(
        invitation_id=survey["pk"],
        ticket_id=survey["ticket_id"],
        sent_at=survey["sent_at"],
        answered_at=survey["answered_at"],
        score=survey["score"],
        agent_id=survey["agent_id"],
        survey_team_id=survey["team_id"],
        **{column: fact[column] for column in TICKET_COLUMNS},
    )


def _csat_surveys(ticket_ids: Iterable[int]) -> Iterator[dict[str, Any]]:
    return (
        SurveyInvitation.objects.filter(kind=SurveyKind.CSAT, ticket_id__in=list(ticket_ids))
        .order_by("pk")
        .values(*SURVEY_COLUMNS)
        .iterator(chunk_size=2000)
    )


def rows_for(facts: Mapping[int, Mapping[str, Any]]) -> list[SurveyFact]:
    """The survey facts of these tickets, from their facts (ticket id ->
    columns, as `facts.compute` gives them); none for a merged ticket."""
    counted = [ticket_id for ticket_id, fact in facts.items() if not fact["merged"]]
    if not counted:
        return []
    return [_row(survey, facts[survey["ticket_id"]]) for survey in _csat_surveys(counted)]


def rewrite(facts: Mapping[int, Mapping[str, Any]]) -> None:
    """Replace these tickets' survey facts (inside the facts' transaction)."""
    SurveyFact.objects.filter(ticket_id__in=list(facts)).delete()
    SurveyFact.objects.bulk_create(rows_for(facts), batch_size=1000)


def on_invitations_sent(
    sender: Any, invitations: Iterable[SurveyInvitation], **kwargs: Any
) -> None:
    """Rows for surveys just sent, from their tickets' stored facts.

    A ticket without facts yet gets its rows when they are first written;
    a row the ticket's refresh already wrote is kept as it is.
    """
    sent = [
        invitation
        for invitation in invitations
        if invitation.kind == SurveyKind.CSAT and invitation.ticket_id is not None
    ]
    if not sent:
        return
    facts = {
        row["ticket_id"]: row
        for row in TicketFact.objects.filter(
            ticket_id__in={invitation.ticket_id for invitation in sent}, merged=False
        ).values("ticket_id", *TICKET_COLUMNS)
    }
    rows = [
        _row({column: getattr(invitation, column) for column in SURVEY_COLUMNS}, fact)
        for invitation in sent
        if (fact := facts.get(invitation.ticket_id)) is not None
    ]
    SurveyFact.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def differences(ticket_ids: list[int], recounted: Mapping[int, Mapping[str, Any]]) -> Iterator[str]:
    """`verify`'s lines for these tickets: stored survey facts against a recount."""
    stored = {
        row[0]: row
        for row in SurveyFact.objects.filter(ticket_id__in=ticket_ids).values_list(*COMPARED)
    }
    now = {
        row.invitation_id: tuple(getattr(row, column) for column in COMPARED)
        for row in rows_for(recounted)
    }
    for invitation_id in sorted(stored.keys() - now.keys()):
        yield f"survey {invitation_id}: survey fact stored, not recounted"
    for invitation_id in sorted(now.keys() - stored.keys()):
        yield f"survey {invitation_id}: survey fact recounted, not stored"
    for invitation_id in sorted(stored.keys() & now.keys()):
        if stored[invitation_id] != now[invitation_id]:
            yield (
                f"survey {invitation_id}: survey fact stored {stored[invitation_id]!r},"
                f" recounted {now[invitation_id]!r}"
            )
