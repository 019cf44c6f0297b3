"""Rule types for satisfaction surveys: send one, and react to the rating.

Each type is one class (parameters, label and behaviour together) that
registers itself; the survey work itself lives in `tiski.surveys`.
"""

from __future__ import annotations

from typing import Literal

from django.utils.translation import gettext_lazy

from .actions import ActionContext, ActionOutcome
from .facts import TicketFacts
from .params import param
from .registry import ActionKind, ConditionKind

# CSAT 1-5: 4 and 5 are satisfied (as reports count them), 1 and 2 are bad.
GOOD_SCORES = frozenset({4, 5})
BAD_SCORES = frozenset({1, 2})


class SendSurvey(ActionKind):
    """Ask the requester how we did (a CSAT survey mail with one-click links).

    Skipped, with the reason in the rule log, when surveys are off, the
    ticket is not solved, or an exclusion applies (opted out, bounced,
    automatic sender, imported ticket, asked recently).
    """

    type_name = "send_survey"
    label = gettext_lazy("Send a satisfaction survey")

    def apply(self, context: ActionContext) -> ActionOutcome:
        from tiski.surveys.send import send_csat

        outcome = send_csat(context.ticket, now=context.now, from_address=context.facts.mailbox)
        if outcome.invitation is None:
            return ActionOutcome(skipped=[outcome.reason])
        return ActionOutcome(emails=[outcome.email_id])

    def apply_many(self, contexts: list[ActionContext]) -> list[ActionOutcome]:
        """The surveys of many solved tickets in a few statements (a trigger
        answering a time rule's chunk), the same as `apply` on each."""
        from tiski.surveys.send import send_csat_many

        if not contexts:
            return []
        sent = send_csat_many(
            [(context.ticket, context.facts.mailbox) for context in contexts],
            now=contexts[0].now,
        )
        return [
            ActionOutcome(skipped=[outcome.reason])
            if outcome.invitation is None
            else ActionOutcome(emails=[outcome.email_id])
            for outcome in sent
        ]


class SatisfactionRating(ConditionKind):
    """The requester's latest rating of the ticket: good (4-5), neutral (3), bad (1-2).

    False before any rating.
    """

    type_name = "satisfaction"
    label = gettext_lazy("Satisfaction rating")

    value: Literal["good", "neutral", "bad"] = param(
        label=gettext_lazy("Rating"),
        options={
            "good": gettext_lazy("good (4–5)"),
            "neutral": gettext_lazy("neutral (3)"),
            "bad": gettext_lazy("bad (1–2)"),
        },
    )

    @classmethod
    def load(cls, ticket_ids: list[int]) -> dict[int, int | None]:
        from tiski.surveys.models import SurveyInvitation

        answered = (
            SurveyInvitation.objects.filter(
                ticket_id__in=ticket_ids, kind="csat", score__isnull=False
            )
            .order_by("answered_at", "id")
            .values_list("ticket_id", "score")
        )
        return dict(answered)  # the latest answer wins

    def matches(self, facts: TicketFacts) -> bool:
        score = facts.loaded.get(self.type_name)
        if score is None:
            return False
        if self.value == "good":
            return score in GOOD_SCORES
        if self.value == "bad":
            return score in BAD_SCORES
        return score not in GOOD_SCORES | BAD_SCORES
