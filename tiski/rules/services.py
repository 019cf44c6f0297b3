"""Changing rules: the one write path for the desk's rule pages and the API.

Every function checks that the actor may manage rules (admins only), and
saving validates the whole definition through the model's ``full_clean()``
(which runs `registry.validate_rule_definition`), so a rule the builder,
the API or the Django admin accepts is one the engine can run.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from . import references
from .models import TimeRule, Trigger
from .registry import (
    GROUP_KEYS,
    TRIGGER_EVENT_LABELS,
    Condition,
    Group,
    RuleDefinitionError,
    RuleKind,
    compile_actions,
    compile_conditions,
)

if TYPE_CHECKING:
    from tiski.accounts.models import User

Rule = Trigger | TimeRule
MODELS: dict[str, type[Rule]] = {"trigger": Trigger, "time": TimeRule}
POSITION_STEP = 10
# What an edit may change; counters and timestamps belong to the engine,
# which updates them concurrently (F expressions), so a save never writes them.
EDITABLE_FIELDS = ("name", "active", "conditions", "actions")


def rule_model(kind: RuleKind | str) -> type[Rule]:
    try:
        return MODELS[kind]
    except KeyError:
        raise ValueError(f"unknown rule kind {kind!r}") from None


def check_can_manage_rules(actor: User | None) -> None:
    if actor is None or not actor.is_active or not actor.is_admin:
        raise PermissionDenied(_("Only admins can change rules."))


# --- the record of changes ------------------------------------------------------------
# Rules are a feature below the Settings area, which keeps the change log:
# Settings hands its recorder in (AppConfig.ready) instead of rules
# importing upwards. Recorders run inside the change's transaction.

ChangeRecorder = Callable[["User | None", "Rule", str, dict[str, list[Any]]], None]
_recorders: list[ChangeRecorder] = []
# A definition in the log is shortened to this many characters.
LOGGED_DEFINITION_LENGTH = 500


def add_change_recorder(recorder: ChangeRecorder) -> None:
    """Call `recorder(actor, rule, action, {field: [old, new]})` on every
    change; ``action`` is "created", "changed" or "deleted"."""
    if recorder not in _recorders:
        _recorders.append(recorder)


def _record(actor: User | None, rule: Rule, action: str, changes: dict[str, list[Any]]) -> None:
    for recorder in _recorders:
        recorder(actor, rule, action, changes)


def _shown(field: str, value: Any) -> Any:
    """A value as the change log shows it: events by name, definitions as short JSON."""
    if field == "events" and isinstance(value, list):
        return [str(TRIGGER_EVENT_LABELS.get(name, name)) for name in value]
    if field in ("conditions", "actions"):
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        limit = LOGGED_DEFINITION_LENGTH
        return text if len(text) <= limit else text[: limit - 1] + "…"
    return value


def _differences(old: Rule | None, new: Rule) -> dict[str, list[Any]]:
    fields = [*EDITABLE_FIELDS, *(["events"] if isinstance(new, Trigger) else [])]
    changes: dict[str, list[Any]] = {}
    for name in fields:
        before = getattr(old, name) if old is not None else None
        after = getattr(new, name)
        if old is None or before != after:
            changes[name] = [_shown(name, before), _shown(name, after)]
    return changes


# --- comparing definitions -----------------------------------------------------------


def _canonical_group(group: Group) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key in GROUP_KEYS:
        items = getattr(group, key)
        if items:
            found[key] = [
                {"type": item.type.name, **item.params.model_dump(mode="json")}
                if isinstance(item, Condition)
                else _canonical_group(item)
                for item in items
            ]
    return found


def canonical_conditions(data: Any) -> Any:
    """What stored conditions mean, with defaults filled in and empty parts
    dropped; invalid data stays as it is (it can only equal itself)."""
    try:
        return _canonical_group(compile_conditions(data))
    except RuleDefinitionError:
        return data


def canonical_actions(data: Any) -> Any:
    try:
        return [
            {"type": action.type.name, **action.params.model_dump(mode="json")}
            for action in compile_actions(data)
        ]
    except RuleDefinitionError:
        return data


def _same_events(old: Any, new: Any) -> bool:
    if not (isinstance(old, list) and isinstance(new, list)):
        return old == new
    if not all(isinstance(e, str) for e in [*old, *new]):
        return old == new
    return set(old) == set(new)


# --- saving ------------------------------------------------------------------------------


def _next_position(model: type[Rule]) -> int:
    highest = model.objects.aggregate(highest=Max("position"))["highest"]
    return (highest or 0) + POSITION_STEP


def validate_rule(
    kind: RuleKind,
    *,
    name: str,
    active: bool,
    conditions: Any,
    actions: Any,
    events: Any = None,
    rule: Rule | None = None,
) -> Rule:
    """The rule with these values, checked but not saved.

    Raises ValidationError keyed by field: ``name``, ``events``,
    ``conditions``, ``actions``; the registry's messages name the item
    (``all[1]: ...``, ``[0]: ...``).

    A part that means the same as what is stored keeps the stored JSON, so
    saving an unedited rule changes nothing, whatever form it came through.
    """
    model = rule_model(kind)
    if rule is None:
        rule = model()
    elif not isinstance(rule, model):
        raise ValueError(f"{rule!r} is not a {kind} rule")
    else:
        rule = copy.copy(rule)  # the caller's object stays as it was stored
        if canonical_conditions(conditions) == canonical_conditions(rule.conditions):
            conditions = rule.conditions
        if canonical_actions(actions) == canonical_actions(rule.actions):
            actions = rule.actions
        if isinstance(rule, Trigger) and _same_events(rule.events, events):
            events = rule.events
    rule.name = name
    rule.active = active
    rule.conditions = conditions
    rule.actions = actions
    if isinstance(rule, Trigger):
        rule.events = events
    # The definition fields are checked by clean() (the registry), which
    # names the problem; the fields' own "cannot be blank" would repeat it.
    rule.full_clean(exclude=["position", "created_by", "conditions", "actions", "events"])
    return rule


def save_rule(
    kind: RuleKind,
    *,
    actor: User | None,
    name: str,
    active: bool,
    conditions: Any,
    actions: Any,
    events: Any = None,
    rule: Rule | None = None,
) -> Rule:
    """Create (``rule=None``) or update a rule from its whole definition.

    A new rule goes to the end of the order. Raises PermissionDenied for a
    non-admin and ValidationError (see `validate_rule`) for a bad definition.
    """
    check_can_manage_rules(actor)
    checked = validate_rule(
        kind,
        name=name,
        active=active,
        conditions=conditions,
        actions=actions,
        events=events,
        rule=rule,
    )
    with transaction.atomic():
        if checked.pk is None:
            checked.created_by = actor
            checked.position = _next_position(type(checked))
            checked.save()
            _record(actor, checked, "created", _differences(None, checked))
        else:
            fields = [*EDITABLE_FIELDS, "updated_at"]
            if isinstance(checked, Trigger):
                fields.append("events")
            checked.save(update_fields=fields)
            changes = _differences(rule, checked)
            if changes:
                _record(actor, checked, "changed", changes)
    return checked


def set_rule_active(rule: Rule, active: bool, *, actor: User | None) -> Rule:
    check_can_manage_rules(actor)
    if rule.active != active:
        with transaction.atomic():
            rule.active = active
            rule.save(update_fields=["active", "updated_at"])
            _record(actor, rule, "changed", {"active": [not active, active]})
    return rule


# --- order -------------------------------------------------------------------------------


def _renumber(rules: list[Rule]) -> None:
    changed = []
    for index, rule in enumerate(rules, 1):
        wanted = index * POSITION_STEP
        if rule.position != wanted:
            rule.position = wanted
            changed.append(rule)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["position"])


def _ordered(model: type[Rule]) -> list[Rule]:
    # Locked so two admins reordering at once cannot interleave (PostgreSQL).
    return list(model.objects.select_for_update().order_by("position", "id").only("id", "position"))


def move_rule(rule: Rule, offset: int, *, actor: User | None) -> None:
    """Move a rule `offset` places earlier (negative) or later in the order."""
    check_can_manage_rules(actor)
    with transaction.atomic():
        rules = _ordered(type(rule))
        index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
        target = max(0, min(len(rules) - 1, index + offset))
        rules.insert(target, rules.pop(index))
        _renumber(rules)


def reorder_rules(kind: RuleKind, ids: Iterable[int], *, actor: User | None) -> None:
    """Put the rules in the order of `ids`; rules not named keep their order after them.

    Unknown ids are ignored, so a list the page showed before another admin
    deleted a rule still applies.
    """
    check_can_manage_rules(actor)
    with transaction.atomic():
        rules = _ordered(rule_model(kind))
        by_id = {rule.pk: rule for rule in rules}
        first: list[Rule] = []
        for rule_id in ids:
            rule = by_id.pop(rule_id, None)
            if rule is not None:
                first.append(rule)
        _renumber(first + [rule for rule in rules if rule.pk in by_id])


# --- copies and deletion -------------------------------------------------------------------


def duplicate_rule(rule: Rule, *, actor: User | None) -> Rule:
    """A copy right after the original, switched off so it cannot fire twice
    before the admin has changed it."""
    check_can_manage_rules(actor)
    model = type(rule)
    copy_name = _("%(name)s (copy)") % {"name": rule.name}
    duplicate = model(
        name=copy_name[: model._meta.get_field("name").max_length],
        active=False,
        conditions=copy.deepcopy(rule.conditions),
        actions=copy.deepcopy(rule.actions),
        created_by=actor,
    )
    if isinstance(rule, Trigger) and isinstance(duplicate, Trigger):
        duplicate.events = copy.deepcopy(rule.events)
    with transaction.atomic():
        rules = _ordered(model)
        duplicate.position = _next_position(model)
        duplicate.save()
        index = next((i for i, r in enumerate(rules) if r.pk == rule.pk), len(rules) - 1)
        rules.insert(index + 1, duplicate)
        _renumber(rules)
        _record(actor, duplicate, "created", _differences(None, duplicate))
    return duplicate


def delete_rule(rule: Rule, *, actor: User | None) -> None:
    """Delete a rule. Its firings stay in the log: they are the audit trail."""
    check_can_manage_rules(actor)
    with transaction.atomic():
        _record(actor, rule, "deleted", {"name": [rule.name, None]})
        rule.delete()


# --- records the rules name ------------------------------------------------------------


@dataclass(frozen=True)
class RuleUse:
    """A rule that names a record, and which of its conditions and actions do."""

    rule: Rule
    types: list[str]

    @property
    def kind(self) -> str:
        return self.rule.rule_kind


def rules_using(kind: str, value: Any) -> list[RuleUse]:
    """Every trigger and time rule with a condition or action naming `value`
    (a record of `kind`: "tag", "team", ...), triggers first, in rule order."""
    found: list[RuleUse] = []
    for model in MODELS.values():
        for rule in model.objects.order_by("position", "id"):
            labels = [
                references.type_label(part, name)
                for part, data in (("condition", rule.conditions), ("action", rule.actions))
                for name in references.uses(part, data, kind, value)  # type: ignore[arg-type]
            ]
            if labels:
                found.append(RuleUse(rule, list(dict.fromkeys(labels))))
    return found


def rewrite_references(kind: str, old: Any, new: Any, *, actor: User | None) -> list[Rule]:
    """Put `new` where rules name `old` (a renamed or merged tag); returns the
    rules changed. Only those parameters change: the rest of each stored
    definition stays as it was, valid or not. Each change is recorded."""
    check_can_manage_rules(actor)
    changed: list[Rule] = []
    with transaction.atomic():
        for model in MODELS.values():
            for rule in model.objects.select_for_update().order_by("position", "id"):
                conditions, in_conditions = references.replace(
                    "condition", rule.conditions, kind, old, new
                )
                actions, in_actions = references.replace("action", rule.actions, kind, old, new)
                if not (in_conditions or in_actions):
                    continue
                before = copy.copy(rule)
                rule.conditions, rule.actions = conditions, actions
                rule.save(update_fields=["conditions", "actions", "updated_at"])
                _record(actor, rule, "changed", _differences(before, rule))
                changed.append(rule)
    return changed
