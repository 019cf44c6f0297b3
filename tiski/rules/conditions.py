"""The built-in condition types.

Each check is a pure function of its parameters and a `TicketFacts`. Types
whose meaning can be written as SQL also give an ORM translation, so the
time-rule pass narrows tickets in the database before loading any.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Literal

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import model_validator

from tiski.calendars.hours import BusinessCalendar
from tiski.tickets.models import Channel, Priority, Status, Ticket

from . import options
from .facts import TicketFacts, hours_cutoff, words
from .params import Params, param
from .registry import QFilter, register_condition

Scalar = str | int | None
FieldValue = Scalar | list[Scalar]

FIELD_OPS = {
    "equals": gettext_lazy("is"),
    "not_equals": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
}
LANGUAGES = {"fi": gettext_lazy("Finnish"), "en": gettext_lazy("English")}


# --- field equals / in / not in -------------------------------------------------


class FieldParams(Params):
    """``equals``/``not_equals`` take one value, ``in``/``not_in`` a list.

    A subclass names its values: the allowed ones (`choices`, checked on
    save), their type and whether None is one, and redeclares ``value``
    with its label and options for the builder.
    """

    op: Literal["equals", "not_equals", "in", "not_in"] = param(
        "equals", label=gettext_lazy("Comparison"), options=FIELD_OPS
    )
    value: FieldValue = param(label=gettext_lazy("Value"))

    # Allowed values (None: any value of the right type) and the type.
    choices: ClassVar[tuple[str, ...] | None] = None
    kind: ClassVar[type] = str
    nullable: ClassVar[bool] = False

    @model_validator(mode="after")
    def _check(self) -> FieldParams:
        many = self.op in ("in", "not_in")
        if many != isinstance(self.value, list):
            raise ValueError(
                _("“in” and “not in” take a list of values, “equals” and “not equals” one value")
            )
        for value in self.values:
            if value is None:
                if not self.nullable:
                    raise ValueError(_("this field always has a value"))
            elif not isinstance(value, self.kind) or isinstance(value, bool):
                raise ValueError(_("value %(value)s has the wrong type") % {"value": repr(value)})
            elif self.choices is not None and value not in self.choices:
                raise ValueError(
                    _("unknown value %(value)s; choose from %(choices)s")
                    % {"value": value, "choices": ", ".join(self.choices)}
                )
        return self

    @property
    def values(self) -> tuple[Scalar, ...]:
        return tuple(self.value) if isinstance(self.value, list) else (self.value,)

    @property
    def negated(self) -> bool:
        return self.op in ("not_equals", "not_in")

    def test(self, actual: Scalar) -> bool:
        return (actual in self.values) != self.negated

    def q(self, lookup: str) -> QFilter:
        present = [v for v in self.values if v is not None]
        q = Q(**{f"{lookup}__in": present}) if present else Q(pk__in=[])
        if None in self.values:
            q |= Q(**{f"{lookup}__isnull": True})
        return (~q if self.negated else q), True


class StatusParams(FieldParams):
    choices = tuple(Status.values)
    value: FieldValue = param(label=gettext_lazy("Value"), options=dict(Status.choices))


class PriorityParams(FieldParams):
    choices = tuple(Priority.values)
    # Labels as the desk shows them: admins rename priorities in Settings.
    value: FieldValue = param(label=gettext_lazy("Value"), options=options.priorities)


class ChannelParams(FieldParams):
    choices = tuple(Channel.values)
    value: FieldValue = param(label=gettext_lazy("Value"), options=dict(Channel.choices))


class LanguageParams(FieldParams):
    choices = tuple(LANGUAGES)
    value: FieldValue = param(label=gettext_lazy("Value"), options=LANGUAGES)


class TypeParams(FieldParams):
    """A ticket type's slug; null means "no type"."""

    nullable = True
    value: FieldValue = param(
        label=gettext_lazy("Value"),
        options=options.ticket_types,
        references="ticket_type",
        none_label=gettext_lazy("No type"),
    )


class IdParams(FieldParams):
    """A database id; null means "none" (no team, unassigned, no organisation)."""

    kind = int
    nullable = True


class TeamParams(IdParams):
    value: FieldValue = param(
        label=gettext_lazy("Value"),
        options=options.teams,
        references="team",
        none_label=gettext_lazy("No team"),
    )


class AssigneeParams(IdParams):
    value: FieldValue = param(
        label=gettext_lazy("Value"),
        options=options.agents,
        references="agent",
        none_label=gettext_lazy("Nobody (unassigned)"),
    )


class OrganisationParams(IdParams):
    value: FieldValue = param(
        label=gettext_lazy("Value"),
        options=options.organisations,
        references="organisation",
        none_label=gettext_lazy("No organisation"),
    )


def _field(
    name: str,
    label: Any,
    params: type[FieldParams],
    read: Callable[[TicketFacts], Scalar],
    lookup: str | None,
) -> None:
    def check(p: FieldParams, facts: TicketFacts) -> bool:
        return p.test(read(facts))

    def to_q(p: FieldParams, now: datetime, calendar: BusinessCalendar) -> QFilter:
        return p.q(lookup)  # type: ignore[arg-type]

    register_condition(name, label, params, to_q=to_q if lookup else None)(check)


_field("status", gettext_lazy("Status"), StatusParams, lambda f: f.status, "status")
_field("priority", gettext_lazy("Priority"), PriorityParams, lambda f: f.priority, "priority")
_field("type", gettext_lazy("Type"), TypeParams, lambda f: f.type_slug, "type__slug")
_field("team", gettext_lazy("Team"), TeamParams, lambda f: f.team_id, "team_id")
_field("assignee", gettext_lazy("Assignee"), AssigneeParams, lambda f: f.assignee_id, "assignee_id")
_field("channel", gettext_lazy("Channel"), ChannelParams, lambda f: f.channel, "channel")
_field(
    "organisation",
    gettext_lazy("Organisation"),
    OrganisationParams,
    lambda f: f.organisation_id,
    "requester__organisation_id",
)
_field(
    "requester_language",
    gettext_lazy("Requester's language"),
    LanguageParams,
    lambda f: f.requester_language,
    "requester__language",
)


class MailboxParams(FieldParams):
    value: FieldValue = param(
        label=gettext_lazy("Value"), options=options.mailboxes, references="mailbox"
    )

    @model_validator(mode="after")
    def _lower(self) -> MailboxParams:
        # Addresses compare case-insensitively; store them as they will match.
        lowered = (
            [v.strip().lower() if isinstance(v, str) else v for v in self.value]
            if isinstance(self.value, list)
            else self.value.strip().lower()
            if isinstance(self.value, str)
            else self.value
        )
        object.__setattr__(self, "value", lowered)
        return self


@register_condition(
    "mailbox", gettext_lazy("Mailbox the ticket came to"), MailboxParams, needs=("mailbox",)
)
def mailbox(p: MailboxParams, facts: TicketFacts) -> bool:
    return p.test(facts.mailbox)


# --- tags ---------------------------------------------------------------------


class TagsParams(Params):
    """``contains``: every listed tag is on the ticket; ``not_contains``: none is."""

    op: Literal["contains", "not_contains"] = param(
        "contains",
        label=gettext_lazy("Comparison"),
        options={
            "contains": gettext_lazy("include all of"),
            "not_contains": gettext_lazy("include none of"),
        },
    )
    tags: list[str] = param(label=gettext_lazy("Tags"), references="tag", min_length=1)

    @model_validator(mode="after")
    def _normalise(self) -> TagsParams:
        from tiski.tickets.models import Tag

        names = [Tag.normalise(name) for name in self.tags]
        if not all(names):
            raise ValueError(_("a tag cannot be empty"))
        object.__setattr__(self, "tags", names)
        return self


def _tags_q(p: TagsParams, now: datetime, calendar: BusinessCalendar) -> QFilter:
    through = Ticket.tags.through
    if p.op == "not_contains":
        return ~Exists(through.objects.filter(ticket_id=OuterRef("pk"), tag__name__in=p.tags)), True
    q = Q()
    for name in p.tags:
        q &= Exists(through.objects.filter(ticket_id=OuterRef("pk"), tag__name=name))
    return q, True


@register_condition("tags", gettext_lazy("Tags"), TagsParams, to_q=_tags_q, needs=("tags",))
def tags(p: TagsParams, facts: TicketFacts) -> bool:
    if p.op == "contains":
        return all(name in facts.tags for name in p.tags)
    return not any(name in facts.tags for name in p.tags)


# --- text -----------------------------------------------------------------------


class TextParams(Params):
    """Case-insensitive text tests on the subject and/or the latest message.

    ``any_word``/``all_words``/``no_words`` compare whole words;
    ``word_starts`` matches words beginning with one of the given ones, which
    is what Finnish needs ("lasku" finds "laskun", "laskusta").
    """

    field: Literal["subject", "body", "subject_or_body"] = param(
        "subject_or_body",
        label=gettext_lazy("Look in"),
        options={
            "subject": gettext_lazy("Subject"),
            "body": gettext_lazy("Latest message"),
            "subject_or_body": gettext_lazy("Subject or latest message"),
        },
    )
    op: Literal["contains", "not_contains", "any_word", "all_words", "no_words", "word_starts"] = (
        param(
            "contains",
            label=gettext_lazy("Comparison"),
            options={
                "contains": gettext_lazy("contains the text"),
                "not_contains": gettext_lazy("does not contain the text"),
                "any_word": gettext_lazy("contains any of the words"),
                "all_words": gettext_lazy("contains all of the words"),
                "no_words": gettext_lazy("contains none of the words"),
                "word_starts": gettext_lazy("has a word beginning with"),
            },
        )
    )
    value: str = param(label=gettext_lazy("Text or words"), min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _has_words(self) -> TextParams:
        if self.op != "contains" and self.op != "not_contains" and not words(self.value):
            raise ValueError(_("give at least one word"))
        return self


def _text_matches(p: TextParams, folded: str, found_words: frozenset[str]) -> bool:
    wanted = words(p.value)
    if p.op in ("contains", "not_contains"):
        return p.value.casefold() in folded
    if p.op in ("any_word", "no_words"):
        return any(word in found_words for word in wanted)
    if p.op == "all_words":
        return all(word in found_words for word in wanted)
    return any(found.startswith(word) for word in wanted for found in found_words)


@register_condition("text", gettext_lazy("Subject or message text"), TextParams, needs=("body",))
def text(p: TextParams, facts: TicketFacts) -> bool:
    fields = ("subject", "body") if p.field == "subject_or_body" else (p.field,)
    hit = any(
        _text_matches(
            p,
            facts.folded_subject if name == "subject" else facts.folded_body,
            facts.subject_words if name == "subject" else facts.body_words,
        )
        for name in fields
    )
    return not hit if p.op in ("not_contains", "no_words") else hit


# --- escalation -------------------------------------------------------------------


class EscalatedParams(Params):
    escalated: bool = param(
        True,
        label=gettext_lazy("The ticket"),
        options={
            True: gettext_lazy("is escalated"),
            False: gettext_lazy("is not escalated"),
        },
    )


def _escalated_q(p: EscalatedParams, now: datetime, calendar: BusinessCalendar) -> QFilter:
    return (Q(escalation_level__gt=0) if p.escalated else Q(escalation_level=0)), True


@register_condition("escalated", gettext_lazy("Escalated"), EscalatedParams, to_q=_escalated_q)
def escalated(p: EscalatedParams, facts: TicketFacts) -> bool:
    return (facts.escalation_level > 0) == p.escalated


# --- business hours --------------------------------------------------------------


class BusinessHoursParams(Params):
    open: bool = param(
        True,
        label=gettext_lazy("When"),
        options={
            True: gettext_lazy("inside business hours"),
            False: gettext_lazy("outside business hours"),
        },
    )


def _business_hours_q(p: BusinessHoursParams, now: datetime, calendar: BusinessCalendar) -> QFilter:
    # The same for every ticket of a pass: all of them or none.
    return (Q() if calendar.is_open(now) == p.open else Q(pk__in=[])), True


@register_condition(
    "business_hours",
    gettext_lazy("Within business hours"),
    BusinessHoursParams,
    to_q=_business_hours_q,
)
def business_hours(p: BusinessHoursParams, facts: TicketFacts) -> bool:
    return facts.in_business_hours == p.open


# --- time since ---------------------------------------------------------------------

SINCE_FIELDS = {
    "created": "created_at",
    "updated": "updated_at",
    "last_customer_message": "last_customer_message_at",
    "status_changed": "status_changed_at",
}


class HoursSinceParams(Params):
    """``at_least``/``less_than`` `hours` since a moment, wall-clock or business time.

    "Pending for 3 days" is a status condition plus ``since: status_changed``.
    A moment that never happened (no customer message yet) matches neither.
    """

    since: Literal["created", "updated", "last_customer_message", "status_changed"] = param(
        label=gettext_lazy("Since"),
        options={
            "created": gettext_lazy("the ticket was created"),
            "updated": gettext_lazy("the ticket was last updated"),
            "last_customer_message": gettext_lazy("the customer last wrote"),
            "status_changed": gettext_lazy("the status last changed"),
        },
    )
    op: Literal["at_least", "less_than"] = param(
        "at_least",
        label=gettext_lazy("Comparison"),
        options={"at_least": gettext_lazy("at least"), "less_than": gettext_lazy("less than")},
    )
    hours: float = param(label=gettext_lazy("Hours"), gt=0, le=24 * 366 * 3)
    business: bool = param(
        False,
        label=gettext_lazy("Count"),
        options={False: gettext_lazy("all hours"), True: gettext_lazy("business hours only")},
    )


def _cutoff(p: HoursSinceParams, now: datetime, calendar: BusinessCalendar) -> datetime:
    return hours_cutoff(now, p.hours, business=p.business, calendar=calendar)


def _hours_since_q(p: HoursSinceParams, now: datetime, calendar: BusinessCalendar) -> QFilter:
    column = SINCE_FIELDS[p.since]
    lookup = "lte" if p.op == "at_least" else "gt"
    return Q(**{f"{column}__{lookup}": _cutoff(p, now, calendar)}), True


@register_condition(
    "hours_since",
    gettext_lazy("Hours since"),
    HoursSinceParams,
    to_q=_hours_since_q,
    time_based=True,
)
def hours_since(p: HoursSinceParams, facts: TicketFacts) -> bool:
    moment = facts.timestamp(p.since)
    if moment is None:
        return False
    cutoff = _cutoff(p, facts.now, facts.calendar)
    return moment <= cutoff if p.op == "at_least" else moment > cutoff
