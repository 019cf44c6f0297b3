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
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tiski.calendars.hours import BusinessCalendar
from tiski.tickets.models import Channel, Priority, Status, Ticket

from .facts import TicketFacts, hours_cutoff, words
from .registry import QFilter, register_condition

Scalar = str | int | None


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- field equals / in / not in -------------------------------------------------


class FieldParams(Params):
    """``equals``/``not_equals`` take one value, ``in``/``not_in`` a list."""

    op: Literal["equals", "not_equals", "in", "not_in"] = "equals"
    value: Scalar | list[Scalar]

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


class PriorityParams(FieldParams):
    choices = tuple(Priority.values)


class ChannelParams(FieldParams):
    choices = tuple(Channel.values)


class LanguageParams(FieldParams):
    choices = ("fi", "en")


class TextValueParams(FieldParams):
    pass


class NullableTextParams(FieldParams):
    nullable = True


class IdParams(FieldParams):
    """A database id; null means "none" (no team, unassigned, no organisation)."""

    kind = int
    nullable = True


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
_field("type", gettext_lazy("Type"), NullableTextParams, lambda f: f.type_slug, "type__slug")
_field("team", gettext_lazy("Team"), IdParams, lambda f: f.team_id, "team_id")
_field("assignee", gettext_lazy("Assignee"), IdParams, lambda f: f.assignee_id, "assignee_id")
_field("channel", gettext_lazy("Channel"), ChannelParams, lambda f: f.channel, "channel")
_field(
    "organisation",
    gettext_lazy("Organisation"),
    IdParams,
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

    op: Literal["contains", "not_contains"] = "contains"
    tags: list[str] = Field(min_length=1)

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

    field: Literal["subject", "body", "subject_or_body"] = "subject_or_body"
    op: Literal["contains", "not_contains", "any_word", "all_words", "no_words", "word_starts"] = (
        "contains"
    )
    value: str = Field(min_length=1, max_length=1000)

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


# --- business hours --------------------------------------------------------------


class BusinessHoursParams(Params):
    open: bool = True


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

    since: Literal["created", "updated", "last_customer_message", "status_changed"]
    op: Literal["at_least", "less_than"] = "at_least"
    hours: float = Field(gt=0, le=24 * 366 * 3)
    business: bool = False


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
