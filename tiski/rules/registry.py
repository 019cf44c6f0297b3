"""Condition and action types, registered in code; rules refer to them by name.

A rule stores its conditions as a group ``{"all": [...], "any": [...],
"none": [...]}`` whose items are conditions (``{"type": "status", "op":
"in", "value": ["pending"]}``) or one more level of groups, and its actions
as a list (``{"type": "add_tags", "tags": ["vip"]}``). Each type declares a
pydantic model for its parameters; `validate_rule_definition` checks a whole
rule against them before it is saved (admin, API), and `compile_conditions`
turns the stored JSON into objects evaluated many times without parsing.

Evaluation is pure: `Group.matches(facts)` reads only the `TicketFacts`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from tiski.calendars.hours import BusinessCalendar

from .facts import Loader, TicketFacts
from .params import Params

if TYPE_CHECKING:
    from .actions import ActionContext, ActionOutcome

GROUP_KEYS = ("all", "any", "none")
MAX_GROUP_DEPTH = 2
RuleKind = Literal["trigger", "time"]

# What happened to a ticket, as triggers name it.
TRIGGER_EVENTS: tuple[str, ...] = (
    "ticket_created",
    "customer_replied",
    "agent_replied",
    "note_added",
    "status_changed",
    "field_changed",
    "sla_warning",
    "sla_breach",
    "satisfaction_rated",
    "escalated",
    "children_solved",
    "chat_waiting",
)

# How the builder and the API name the events to people.
TRIGGER_EVENT_LABELS: dict[str, Promise] = {
    "ticket_created": gettext_lazy("Ticket is created"),
    "customer_replied": gettext_lazy("Customer replies"),
    "agent_replied": gettext_lazy("Agent replies to the customer"),
    "note_added": gettext_lazy("Internal note is added"),
    "status_changed": gettext_lazy("Status changes"),
    "field_changed": gettext_lazy("Another field changes (priority, type, team, assignee, tags)"),
    "sla_warning": gettext_lazy("SLA target is about to be missed"),
    "sla_breach": gettext_lazy("SLA target is missed"),
    "satisfaction_rated": gettext_lazy("Customer rates the service (satisfaction survey)"),
    "escalated": gettext_lazy("Ticket is escalated"),
    "children_solved": gettext_lazy("All child tickets are solved"),
    "chat_waiting": gettext_lazy("Chat visitor has waited too long for an agent"),
}

# (Q, exact): a filter every matching ticket passes; exact when it is also
# sufficient, so the Python evaluation can be skipped.
QFilter = tuple[Q, bool]


@dataclass(frozen=True)
class ConditionType:
    name: str
    label: str | Promise
    params: type[BaseModel]
    check: Callable[[Any, TicketFacts], bool]
    # Translation to an ORM filter for the time-rule pass, if there is one.
    to_q: Callable[[Any, datetime, BusinessCalendar], QFilter] | None = None
    # Facts that cost extra queries in bulk: "tags", "mailbox", "body".
    needs: frozenset[str] = frozenset()
    time_based: bool = False
    # Reads data the facts do not hold, for many tickets at once.
    load: Loader | None = None


@dataclass(frozen=True)
class ActionType:
    name: str
    label: str | Promise
    params: type[BaseModel]
    apply: Callable[[Any, ActionContext], ActionOutcome]
    # Optional: the same for many tickets at once (one outcome each, in
    # order), which lets the time-rule pass act on thousands in a few queries.
    apply_many: Callable[[Any, list[ActionContext]], list[ActionOutcome]] | None = None


CONDITIONS: dict[str, ConditionType] = {}
ACTIONS: dict[str, ActionType] = {}


def register_condition(
    name: str,
    label: str | Promise,
    params: type[BaseModel],
    *,
    to_q: Callable[[Any, datetime, BusinessCalendar], QFilter] | None = None,
    needs: Iterable[str] = (),
    time_based: bool = False,
    load: Loader | None = None,
) -> Callable[[Callable[[Any, TicketFacts], bool]], Callable[[Any, TicketFacts], bool]]:
    def decorator(check: Callable[[Any, TicketFacts], bool]) -> Callable[[Any, TicketFacts], bool]:
        if name in CONDITIONS:
            raise ValueError(f"condition type {name!r} is already registered")
        CONDITIONS[name] = ConditionType(
            name, label, params, check, to_q, frozenset(needs), time_based, load
        )
        return check

    return decorator


def register_action(
    name: str, label: str | Promise, params: type[BaseModel]
) -> Callable[[Callable[[Any, ActionContext], ActionOutcome]], Callable[..., ActionOutcome]]:
    def decorator(
        apply: Callable[[Any, ActionContext], ActionOutcome],
    ) -> Callable[[Any, ActionContext], ActionOutcome]:
        if name in ACTIONS:
            raise ValueError(f"action type {name!r} is already registered")
        ACTIONS[name] = ActionType(name, label, params, apply)
        return apply

    return decorator


def register_batch(
    name: str,
) -> Callable[
    [Callable[[Any, list[ActionContext]], list[ActionOutcome]]],
    Callable[[Any, list[ActionContext]], list[ActionOutcome]],
]:
    """Give a registered action a many-tickets-at-once form."""

    def decorator(
        apply_many: Callable[[Any, list[ActionContext]], list[ActionOutcome]],
    ) -> Callable[[Any, list[ActionContext]], list[ActionOutcome]]:
        ACTIONS[name] = replace(ACTIONS[name], apply_many=apply_many)
        return apply_many

    return decorator


# --- a type as one class ------------------------------------------------------------


class ConditionKind(Params):
    """A condition type in one class: its parameters are the fields (each
    described with `params.param`), its check the `matches` method.

    Defining a subclass with a ``type_name`` registers it::

        class Rating(ConditionKind):
            type_name = "rating"
            label = gettext_lazy("Satisfaction rating")
            rating: Literal["good", "bad"] = param(label=..., options={...})

            def matches(self, facts: TicketFacts) -> bool:
                return facts.rating == self.rating

    Override `to_q` when the check can be written as an ORM filter (time
    rules then narrow tickets in the database); list in `needs` the facts
    that cost extra queries in bulk ("tags", "mailbox", "body").

    A check that needs data the facts do not hold defines a classmethod
    ``load(ticket_ids) -> {ticket_id: value}``; the engine calls it once per
    evaluation (a whole chunk in the time pass) for rules that use the type,
    and `matches` reads the value as ``facts.loaded[self.type_name]``. The
    check stays pure: tests give the value in `TicketFacts(loaded=...)`.
    """

    type_name: ClassVar[str] = ""
    label: ClassVar[str | Promise] = ""
    needs: ClassVar[tuple[str, ...]] = ()
    time_based: ClassVar[bool] = False

    def matches(self, facts: TicketFacts) -> bool:
        raise NotImplementedError

    def to_q(self, now: datetime, calendar: BusinessCalendar) -> QFilter | None:
        return None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if not cls.__dict__.get("type_name"):
            return  # an abstract base for other kinds
        translated = cls.to_q is not ConditionKind.to_q
        register_condition(
            cls.type_name,
            cls.label,
            cls,
            to_q=(lambda p, now, calendar: p.to_q(now, calendar)) if translated else None,
            needs=cls.needs,
            time_based=cls.time_based,
            load=getattr(cls, "load", None),
        )(lambda p, facts: p.matches(facts))


class ActionKind(Params):
    """An action type in one class: parameters as fields, `apply` does it.

    Like `ConditionKind`, a subclass with a ``type_name`` registers itself.
    `apply` changes the ticket through `tiski.tickets.actions` with
    ``via=Via.RULE`` and reports what it did in an `ActionOutcome`.

    A kind that can act on many tickets in a few statements (the time-rule
    pass hands it a chunk of a thousand) also overrides `apply_many`: one
    outcome per context, in order, the same as `apply` on each would give.
    """

    type_name: ClassVar[str] = ""
    label: ClassVar[str | Promise] = ""

    def apply(self, context: ActionContext) -> ActionOutcome:
        raise NotImplementedError

    def apply_many(self, contexts: list[ActionContext]) -> list[ActionOutcome]:
        raise NotImplementedError

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if not cls.__dict__.get("type_name"):
            return
        register_action(cls.type_name, cls.label, cls)(lambda p, context: p.apply(context))
        if cls.apply_many is not ActionKind.apply_many:
            register_batch(cls.type_name)(lambda p, contexts: p.apply_many(contexts))


def unregister(name: str, *, part: Literal["condition", "action"]) -> None:
    """Forget a type (tests that define one of their own clean up with this)."""
    (CONDITIONS if part == "condition" else ACTIONS).pop(name, None)


# --- compiled rules ---------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    type: ConditionType
    params: BaseModel

    def matches(self, facts: TicketFacts) -> bool:
        return self.type.check(self.params, facts)

    def to_q(self, now: datetime, calendar: BusinessCalendar) -> QFilter | None:
        """None when the condition has no ORM translation (checked in Python only)."""
        if self.type.to_q is None:
            return None
        return self.type.to_q(self.params, now, calendar)

    def walk(self) -> Iterable[Condition]:
        yield self


@dataclass(frozen=True)
class Group:
    all: tuple[Condition | Group, ...] = ()
    any: tuple[Condition | Group, ...] = ()
    none: tuple[Condition | Group, ...] = ()

    def matches(self, facts: TicketFacts) -> bool:
        """All of `all`, at least one of `any` (when given), none of `none`."""
        return (
            all(item.matches(facts) for item in self.all)
            and (not self.any or any(item.matches(facts) for item in self.any))
            and not any(item.matches(facts) for item in self.none)
        )

    def to_q(self, now: datetime, calendar: BusinessCalendar) -> QFilter:
        """An ORM filter every matching ticket passes, and whether it is exact.

        Items without a translation make the filter looser, never wrong: an
        `any` needs every branch translated to narrow anything, and a `none`
        can only exclude what an exact filter describes.
        """
        q, exact = Q(), True
        for item in self.all:
            found = item.to_q(now, calendar)
            if found is None:
                exact = False
            else:
                q &= found[0]
                exact = exact and found[1]
        if self.any:
            parts = [item.to_q(now, calendar) for item in self.any]
            if all(part is not None for part in parts):
                # An empty Q matches every ticket (and Q's "|" would drop it).
                if all(part[0] for part in parts):  # type: ignore[index]
                    any_q = Q()
                    for part in parts:
                        any_q |= part[0]  # type: ignore[index]
                    q &= any_q
                exact = exact and all(part[1] for part in parts)  # type: ignore[index]
            else:
                exact = False
        for item in self.none:
            found = item.to_q(now, calendar)
            if found is not None and found[1]:
                # An empty Q matches every ticket, so "none of it" matches none.
                q &= ~found[0] if found[0] else Q(pk__in=[])
            else:
                exact = False
        return q, exact

    def walk(self) -> Iterable[Condition]:
        for item in (*self.all, *self.any, *self.none):
            yield from item.walk()

    @property
    def needs(self) -> frozenset[str]:
        found: set[str] = set()
        for condition in self.walk():
            found |= condition.type.needs
        return frozenset(found)

    @property
    def loaders(self) -> dict[str, Loader]:
        """The loaders of the condition types in this group, by type name."""
        return {c.type.name: c.type.load for c in self.walk() if c.type.load is not None}

    @property
    def has_time_condition(self) -> bool:
        return any(condition.type.time_based for condition in self.walk())


@dataclass(frozen=True)
class Action:
    type: ActionType
    params: BaseModel

    def apply(self, context: ActionContext) -> ActionOutcome:
        return self.type.apply(self.params, context)


# --- parsing and validation ---------------------------------------------------------


@dataclass
class DefinitionErrors:
    """Problems found in a rule, each with the path of the item it concerns."""

    by_part: dict[str, list[str]] = field(default_factory=dict)

    def add(self, part: str, path: str, message: str) -> None:
        self.by_part.setdefault(part, []).append(f"{path}: {message}" if path else message)

    def __bool__(self) -> bool:
        return bool(self.by_part)

    def as_validation_error(self) -> ValidationError:
        return ValidationError({part: messages for part, messages in self.by_part.items()})


def _pydantic_messages(exc: PydanticValidationError) -> list[str]:
    """Readable, translated messages for parameter errors."""
    messages: list[str] = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        kind = error["type"]
        ctx = error.get("ctx", {})
        if kind == "missing":
            text = _("this parameter is required")
        elif kind == "extra_forbidden":
            text = _("unknown parameter")
        elif kind == "literal_error":
            text = _("choose one of %(choices)s") % {
                "choices": error.get("ctx", {}).get("expected", "")
            }
        elif kind == "value_error":
            # Our own validators raise translated messages.
            text = str(error.get("ctx", {}).get("error", error["msg"]))
        elif kind in ("int_parsing", "float_parsing", "int_from_float"):
            text = _("enter a number")
        elif kind == "string_too_short" and ctx.get("min_length") == 1:
            text = _("cannot be empty")
        elif kind in ("too_short", "string_too_short"):
            count = ctx.get("min_length", 1)
            text = (
                ngettext("give at least %(count)s value", "give at least %(count)s values", count)
                if kind == "too_short"
                else ngettext(
                    "enter at least %(count)s character",
                    "enter at least %(count)s characters",
                    count,
                )
            ) % {"count": count}
        elif kind in ("too_long", "string_too_long"):
            count = ctx.get("max_length", 0)
            text = (
                ngettext("give at most %(count)s value", "give at most %(count)s values", count)
                if kind == "too_long"
                else ngettext(
                    "enter at most %(count)s character", "enter at most %(count)s characters", count
                )
            ) % {"count": count}
        elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
            limit = next(iter(ctx.values()), "")
            text = {
                "greater_than": _("must be more than %(limit)s"),
                "greater_than_equal": _("must be at least %(limit)s"),
                "less_than": _("must be less than %(limit)s"),
                "less_than_equal": _("must be at most %(limit)s"),
            }[kind] % {"limit": limit}
        else:
            text = _("invalid value (%(detail)s)") % {"detail": error["msg"]}
        messages.append(f"{where}: {text}" if where else text)
    return messages


def _parse_params(
    model: type[BaseModel], raw: Mapping[str, Any], errors: DefinitionErrors, part: str, path: str
) -> BaseModel | None:
    params = {key: value for key, value in raw.items() if key != "type"}
    try:
        return model.model_validate(params)
    except PydanticValidationError as exc:
        for message in _pydantic_messages(exc):
            errors.add(part, path, message)
        return None


def _parse_group(data: Any, errors: DefinitionErrors, path: str, depth: int) -> Group | None:
    if not isinstance(data, Mapping):
        errors.add("conditions", path, _("a condition group is an object with all, any or none"))
        return None
    unknown = set(data) - set(GROUP_KEYS)
    if unknown:
        errors.add(
            "conditions",
            path,
            _("unknown keys %(keys)s; a group has all, any and none")
            % {"keys": ", ".join(sorted(unknown))},
        )
    parts: dict[str, list[Condition | Group]] = {}
    for key in GROUP_KEYS:
        items = data.get(key, [])
        if not isinstance(items, list):
            errors.add("conditions", f"{path}.{key}" if path else key, _("must be a list"))
            continue
        parsed: list[Condition | Group] = []
        for index, item in enumerate(items):
            item_path = f"{path}.{key}[{index}]" if path else f"{key}[{index}]"
            node = _parse_item(item, errors, item_path, depth)
            if node is not None:
                parsed.append(node)
        parts[key] = parsed
    return Group(
        all=tuple(parts.get("all", ())),
        any=tuple(parts.get("any", ())),
        none=tuple(parts.get("none", ())),
    )


def _parse_item(
    data: Any, errors: DefinitionErrors, path: str, depth: int
) -> Condition | Group | None:
    if isinstance(data, Mapping) and "type" not in data and set(data) & set(GROUP_KEYS):
        if depth >= MAX_GROUP_DEPTH:
            errors.add(
                "conditions",
                path,
                _("groups can be nested only %(depth)d levels deep") % {"depth": MAX_GROUP_DEPTH},
            )
            return None
        return _parse_group(data, errors, path, depth + 1)
    if not isinstance(data, Mapping) or not isinstance(data.get("type"), str):
        errors.add("conditions", path, _("a condition is an object with a type"))
        return None
    kind = CONDITIONS.get(data["type"])
    if kind is None:
        errors.add(
            "conditions", path, _("unknown condition type “%(type)s”") % {"type": data["type"]}
        )
        return None
    params = _parse_params(kind.params, data, errors, "conditions", path)
    return Condition(kind, params) if params is not None else None


def _parse_actions(data: Any, errors: DefinitionErrors) -> list[Action]:
    if not isinstance(data, list) or not data:
        errors.add("actions", "", _("a rule needs a list of at least one action"))
        return []
    actions: list[Action] = []
    for index, item in enumerate(data):
        path = f"[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
            errors.add("actions", path, _("an action is an object with a type"))
            continue
        kind = ACTIONS.get(item["type"])
        if kind is None:
            errors.add(
                "actions", path, _("unknown action type “%(type)s”") % {"type": item["type"]}
            )
            continue
        params = _parse_params(kind.params, item, errors, "actions", path)
        if params is not None:
            actions.append(Action(kind, params))
    return actions


class RuleDefinitionError(ValueError):
    def __init__(self, errors: DefinitionErrors) -> None:
        self.errors = errors
        super().__init__("; ".join(m for ms in errors.by_part.values() for m in ms))


def compile_conditions(data: Any) -> Group:
    """Stored conditions to a `Group`; an empty or missing group matches everything."""
    errors = DefinitionErrors()
    group = _parse_group(data or {}, errors, "", 1)
    if errors or group is None:
        raise RuleDefinitionError(errors)
    return group


def compile_actions(data: Any) -> list[Action]:
    errors = DefinitionErrors()
    actions = _parse_actions(data, errors)
    if errors:
        raise RuleDefinitionError(errors)
    return actions


def validate_rule_definition(
    *,
    kind: RuleKind,
    conditions: Any,
    actions: Any,
    events: Any = None,
) -> None:
    """Check a whole rule; raises a ValidationError keyed by part, messages by index.

    Used by the models' ``clean()`` (so the admin shows errors at the field)
    and by the API, so both accept exactly the same rules.
    """
    errors = DefinitionErrors()
    group = _parse_group(conditions if conditions is not None else {}, errors, "", 1)
    _parse_actions(actions, errors)
    if kind == "trigger":
        if not isinstance(events, list) or not events:
            errors.add("events", "", _("choose at least one event"))
        else:
            for index, name in enumerate(events):
                if name not in TRIGGER_EVENTS:
                    errors.add(
                        "events", f"[{index}]", _("unknown event “%(event)s”") % {"event": name}
                    )
    elif group is not None and not group.has_time_condition and "conditions" not in errors.by_part:
        errors.add(
            "conditions",
            "",
            _("a time rule needs at least one time condition (hours since ...)"),
        )
    if errors:
        raise errors.as_validation_error()
