"""The facts reports read, and report subscriptions.

`TicketFact` is derived data, like an index: one row per ticket, rewritten
from the ticket's own rows (events, messages, SLA targets) after each of
its changes by `reports.facts`. docs/reports.md defines every column.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiski.tickets.models import UNSOLVED_STATUSES


def _ref(model: str) -> models.ForeignKey:
    # Derived rows point at their sources without a database constraint: a
    # deleted team or user must not block or cascade into the facts, and
    # the next refresh writes the new value anyway.
    return models.ForeignKey(
        model,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )


# Who may count a row and what narrows it: read by every period query.
_SCOPE_COLUMNS = [
    "merged",
    "ticket",
    "team",
    "assignee",
    "type",
    "channel",
    "priority",
    "organisation",
]
# What the pages read of the tickets created in a period (volume, response,
# agents, customers) and of those solved in one (response, agents).
CREATED_COVER = [
    *_SCOPE_COLUMNS,
    "requester",
    "status",
    "first_reply_seconds",
    "first_reply_business",
    "reopen_count",
    "fr_breached",
    "nr_breached",
    "res_breached",
]
SOLVED_COVER = [
    *_SCOPE_COLUMNS,
    "resolution_seconds",
    "resolution_business",
    "wait_seconds",
    "wait_business",
    "touches",
    "replies",
    "reopen_count",
]


class TicketFact(models.Model):
    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="report_fact"
    )
    created_at = models.DateTimeField()
    channel = models.CharField(max_length=20)
    team = _ref("accounts.Team")
    assignee = _ref(settings.AUTH_USER_MODEL)
    type = _ref("tickets.TicketType")
    priority = models.CharField(max_length=10)
    requester = _ref("customers.Contact")
    organisation = _ref("customers.Organisation")
    policy = _ref("sla.SlaPolicy")
    mailbox = models.CharField(max_length=254, blank=True, default="")
    status = models.CharField(max_length=10)
    # Merged into another ticket (an active merge): left out of every figure.
    merged = models.BooleanField(default=False)

    first_reply_at = models.DateTimeField(null=True, blank=True)
    first_reply_seconds = models.IntegerField(null=True, blank=True)
    first_reply_business = models.IntegerField(null=True, blank=True)
    # One value per exchange (customer message after a reply -> next reply).
    next_reply_seconds = models.JSONField(default=list, blank=True)
    next_reply_business = models.JSONField(default=list, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    resolution_seconds = models.IntegerField(null=True, blank=True)
    resolution_business = models.IntegerField(null=True, blank=True)
    wait_seconds = models.IntegerField(null=True, blank=True)
    wait_business = models.IntegerField(null=True, blank=True)
    first_reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    touches = models.PositiveIntegerField(default=0)
    # None: the ticket has no such target; True/False: breached or not.
    fr_breached = models.BooleanField(null=True, blank=True)
    nr_breached = models.BooleanField(null=True, blank=True)
    res_breached = models.BooleanField(null=True, blank=True)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The period reads ("created in", "solved in") of every page, with
            # the columns they group, filter and aggregate carried in the
            # index: PostgreSQL answers them by an index-only scan of the
            # period's range instead of one heap visit per ticket
            # (docs/reports.md, Reading the facts quickly; a test keeps the
            # pages' columns inside these lists).
            models.Index(fields=["created_at"], name="fact_created", include=CREATED_COVER),
            models.Index(fields=["solved_at"], name="fact_solved", include=SOLVED_COVER),
            models.Index(fields=["first_reopened_at"], name="fact_reopened"),
            # The same for an agent's own figures (the agent filter): their
            # tickets are spread over the whole table, a heap page each.
            models.Index(
                fields=["assignee", "created_at"],
                name="fact_assignee_created",
                include=CREATED_COVER,
            ),
            models.Index(
                fields=["assignee", "solved_at"], name="fact_assignee_solved", include=SOLVED_COVER
            ),
            # The customers report's untouched tickets (unsolved, no reply yet),
            # oldest first: a few rows, not a walk up the created index.
            models.Index(
                fields=["created_at"],
                condition=models.Q(
                    first_reply_at__isnull=True,
                    status__in=[str(status) for status in UNSOLVED_STATUSES],
                ),
                name="fact_untouched",
            ),
        ]

    def __str__(self) -> str:
        return f"facts of ticket {self.ticket_id}"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ReportSubscription(models.Model):
    """A manager's standing order: this report, by email, every week or month."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    report = models.CharField(_("report"), max_length=20)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    # The report's filters as query parameters ({"team": ["3"], ...}).
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The start of the last period mailed: each period is sent once.
    last_period_start = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["report", "frequency"]
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "report", "frequency"], name="report_subscription_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.frequency} to {self.user_id}"


class HourlyVolume(models.Model):
    """Created, solved and reopened tickets per hour and per combination of
    team, agent, channel, type and priority: the volume report's rollup.

    Derived from the facts (docs/reports.md, Rollups): `reports.rollups`
    moves each ticket's contribution when its facts change, `--rebuild`
    recomputes the table, and `--verify` diffs it with a recount. One
    combination may have more than one row (two first writes racing); every
    read sums, so that is harmless. Organisation, mailbox and tag filters
    read the facts instead: they would make a row per ticket.
    """

    hour = models.DateTimeField()
    team = _ref("accounts.Team")
    assignee = _ref(settings.AUTH_USER_MODEL)
    type = _ref("tickets.TicketType")
    channel = models.CharField(max_length=20)
    priority = models.CharField(max_length=10)
    created = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["hour"], name="rollup_hour"),
            # An agent's own rows, with what the volume page groups and sums
            # carried in the index: an index-only scan, not a heap page per row.
            models.Index(
                fields=["assignee", "hour"],
                name="rollup_assignee_hour",
                include=[
                    "team",
                    "type",
                    "channel",
                    "priority",
                    "created",
                    "solved",
                    "reopened",
                ],
            ),
            # The visibility rule is "no team, or my teams, or assigned to me":
            # with the team first, each of its arms is a range of hours.
            models.Index(fields=["team", "hour"], name="rollup_team_hour"),
        ]

    def __str__(self) -> str:
        return f"volume of {self.hour:%Y-%m-%d %H}:00"


class DailyVolume(models.Model):
    """Created, solved and reopened tickets per day of the desk's time zone,
    team and agent: the volume report's totals and buckets of a day or
    longer, when no type, channel or priority filter is chosen.

    The hourly rollup's combinations of five dimensions hardly repeat (a
    cell per ticket, nearly); keyed by the visibility rule's two columns
    only, a day has a cell per team and agent that had tickets, whatever
    the desk's size (docs/reports.md, Rollups). Kept like the hourly rollup
    (`reports.daily`); a key may have more than one row, every read sums.
    """

    day = models.DateField()
    team = _ref("accounts.Team")
    assignee = _ref(settings.AUTH_USER_MODEL)
    created = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="daily_day"),
            # Each arm of the visibility rule (my teams; assigned to me) a range of days.
            models.Index(fields=["team", "day"], name="daily_team_day"),
            models.Index(fields=["assignee", "day"], name="daily_assignee_day"),
        ]

    def __str__(self) -> str:
        return f"volume of {self.day:%Y-%m-%d}"


class MonthlyCreated(models.Model):
    """Created tickets per desk-time-zone month, team, channel and type: the
    volume report's "created by" tables over long periods.

    The hourly rollup answers those too, but over three years it is nearly a
    row per ticket; a month has a cell per team, channel and type that had
    tickets (docs/reports.md, "Monthly volume"). No agent column: the
    visibility rule's third arm (assigned to me, outside my teams) and an
    agent filter are read from the hourly rollup. Kept like the other
    rollups (`reports.monthly_created`); a key may have more than one row,
    every read sums.
    """

    # The first day of the month in the desk's time zone.
    month = models.DateField()
    team = _ref("accounts.Team")
    channel = models.CharField(max_length=20)
    type = _ref("tickets.TicketType")
    created = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["month"], name="mcreated_month"),
            models.Index(fields=["team", "month"], name="mcreated_team_month"),
        ]

    def __str__(self) -> str:
        return f"created in {self.month:%Y-%m}"


class MonthlyWeekHour(models.Model):
    """Created tickets per desk month, team, channel, local weekday and
    local hour: the volume report's weekday-by-hour maps over long periods
    (docs/reports.md, "Monthly volume"); kept with `MonthlyCreated`."""

    month = models.DateField()
    team = _ref("accounts.Team")
    channel = models.CharField(max_length=20)
    weekday = models.PositiveSmallIntegerField()  # ISO: 1 Monday ... 7 Sunday
    hour = models.PositiveSmallIntegerField()  # 0 ... 23, the desk's time zone
    created = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["month"], name="mweekhour_month"),
            models.Index(fields=["team", "month"], name="mweekhour_team_month"),
        ]

    def __str__(self) -> str:
        return f"created in {self.month:%Y-%m}, weekday {self.weekday} {self.hour:02d}h"


class MonthlyOrganisation(models.Model):
    """Created tickets per desk month, team and organisation: the busiest
    organisations of the volume and customers reports over long periods
    (docs/reports.md, "Monthly volume"); kept with `MonthlyCreated`. The
    hourly rollup has no organisation: the edges of a period and the
    visibility rule's third arm are read from the facts."""

    month = models.DateField()
    team = _ref("accounts.Team")
    organisation = _ref("customers.Organisation")
    created = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["month"], name="morg_month"),
            models.Index(fields=["team", "month"], name="morg_team_month"),
        ]

    def __str__(self) -> str:
        return f"created in {self.month:%Y-%m} for organisation {self.organisation_id}"


class ReplyFact(models.Model):
    """One public agent reply, for the replies columns of the agents report.

    Derived with the ticket's facts (rewritten by `reports.facts.refresh`);
    a merged ticket has none. It carries the ticket's team and assignee so
    the visibility rule applies on its own columns, and the team table
    groups without a join.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="+", db_index=True
    )
    at = models.DateTimeField()
    author = _ref(settings.AUTH_USER_MODEL)
    team = _ref("accounts.Team")
    assignee = _ref(settings.AUTH_USER_MODEL)

    class Meta:
        indexes = [
            models.Index(fields=["at"], name="replyfact_at"),
            models.Index(fields=["author", "at"], name="replyfact_author_at"),
            # Each arm of the visibility rule (my teams; assigned to me) a range of time.
            models.Index(fields=["team", "at"], name="replyfact_team_at"),
            models.Index(fields=["assignee", "at"], name="replyfact_assignee_at"),
        ]

    def __str__(self) -> str:
        return f"reply on {self.ticket_id} at {self.at:%Y-%m-%d %H:%M}"


class SurveyFact(models.Model):
    """One satisfaction (CSAT) survey about a counted ticket, for the survey
    figures of the CSAT and agents reports.

    The survey's own columns (when sent, the answer, the agent and team it
    rates) next to its ticket's columns the visibility rule and the report
    filters read (the ticket's team and assignee, channel, type, priority,
    organisation), so the period's surveys are counted from this table
    alone instead of each one being looked up in the facts. Derived with
    the ticket's facts (rewritten by `reports.facts.refresh`, which also
    follows an answer: it is a change of the ticket) and written when a
    survey is sent (`reports.survey_facts.on_invitations_sent`); a merged
    ticket's surveys have none.
    """

    invitation = models.OneToOneField(
        "surveys.SurveyInvitation", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="+", db_index=True
    )
    sent_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    # Whom the survey rates: the ticket's assignee and team when it was sent.
    agent = _ref(settings.AUTH_USER_MODEL)
    survey_team = _ref("accounts.Team")
    # The ticket's columns as its facts have them now.
    team = _ref("accounts.Team")
    assignee = _ref(settings.AUTH_USER_MODEL)
    channel = models.CharField(max_length=20)
    type = _ref("tickets.TicketType")
    priority = models.CharField(max_length=10)
    organisation = _ref("customers.Organisation")

    class Meta:
        indexes = [
            models.Index(fields=["sent_at"], name="surveyfact_sent"),
            models.Index(fields=["agent", "sent_at"], name="surveyfact_agent_sent"),
            models.Index(fields=["team", "sent_at"], name="surveyfact_team_sent"),
        ]

    def __str__(self) -> str:
        return f"survey {self.invitation_id} on {self.ticket_id}"


class MonthlyReplies(models.Model):
    """Public agent replies per desk month, author and the ticket's team and
    assignee: the agents report's replies column over long periods.

    Derived from `ReplyFact` (`reports.monthly_replies`): each facts refresh
    moves the difference between a ticket's reply rows before and after,
    `--rebuild` recounts the table and `--verify` diffs it with a recount.
    Keyed by the visibility rule's columns, so a user counts exactly the
    replies of the tickets they may see. A cell may have more than one row
    (two first writes racing); every read sums.
    """

    month = models.DateField()
    author = _ref(settings.AUTH_USER_MODEL)
    team = _ref("accounts.Team")
    assignee = _ref(settings.AUTH_USER_MODEL)
    replies = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["month"], name="mreplies_month"),
            models.Index(fields=["team", "month"], name="mreplies_team_month"),
        ]

    def __str__(self) -> str:
        return f"{self.replies} replies in {self.month:%Y-%m} by {self.author_id}"


class ContactTotals(models.Model):
    """Each contact's counted tickets of all time, summed: how many, their
    reopenings and how many breached a target (`reports.contact_totals`).

    Upper bounds for the customers page's contact lists: no contact can
    have more tickets in a period, or in what a user may see, than in all,
    so the page counts the contacts exactly in order of these totals and
    stops once the next total cannot reach its list. Kept with the facts
    (each refresh moves the difference), rebuilt and verified like the
    rollups.
    """

    contact = models.OneToOneField(
        "customers.Contact",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="+",
    )
    tickets = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    breached = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["-tickets", "contact"], name="ctotals_tickets"),
            models.Index(fields=["-reopened", "contact"], name="ctotals_reopened"),
            models.Index(fields=["-breached", "contact"], name="ctotals_breached"),
        ]

    def __str__(self) -> str:
        return f"contact {self.contact_id}: {self.tickets} tickets"


class MonthlyFigure(models.Model):
    """One time figure of the tickets of a desk month, team and agent: how
    many, their exact sum and their histogram (`reports.histogram`).

    Derived from the facts (docs/reports.md, "Monthly rollup"):
    `reports.monthly` moves each ticket's contribution when its facts change,
    `--rebuild` recomputes the table and `--verify` diffs it with a recount.
    Keyed by the visibility rule's columns (team, assignee) only, so a
    restricted team's rows stay out of an outsider's figures exactly as its
    tickets do; each value is also in its team's cell of all agents
    (``whole_team``), which readers that group by no agent read instead. A
    cell may have more than one row (two first writes racing); every read
    sums.
    """

    # The first day of the month in the desk's time zone.
    month = models.DateField()
    team = _ref("accounts.Team")
    assignee = _ref(settings.AUTH_USER_MODEL)
    # True: the team's cell, all its agents (and none) together, assignee
    # empty; False: one agent's (or, assignee empty, the unassigned) cell.
    whole_team = models.BooleanField(default=False)
    figure = models.CharField(max_length=24)
    n = models.IntegerField(default=0)
    total = models.BigIntegerField(default=0)
    # {bucket index: count}; keys are strings (JSON).
    hist = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["whole_team", "month"], name="monthly_month"),
            # Each arm of the visibility rule (my teams; assigned to me) a range of months.
            models.Index(fields=["team", "month"], name="monthly_team_month"),
            models.Index(fields=["assignee", "month"], name="monthly_assignee_month"),
        ]

    def __str__(self) -> str:
        return f"{self.figure} of {self.month:%Y-%m}"
