"""The point-and-click rule builder: a rule's JSON as form rows, and back.

The editor shows a rule as rows: conditions in a group's three sections
(all / any / none, with one more level of groups inside) and a list of
actions. Each row picks a registered type; its inputs are generated from
the type's pydantic params model (`model_json_schema()` for the shape, the
defaults in `model_fields`, and each field's `params.ParamInfo` for its
label, help and options), so a new type gets a usable editor without a
template or a table here.

Every row carries a key (unique in the page) and its inputs are named
``<key>-<param>``; the order of rows is the order of the hidden ``cond`` /
``act`` inputs, which is the order on the page. `RuleBuilder.assemble`
turns the posted rows into the stored JSON and remembers each row's
registry path (``all[1]``, ``all[0].any[2]``, ``[0]``), so the errors that
`registry.validate_rule_definition` reports by path land on their row.

What the builder cannot show faithfully (an unknown type, extra keys, a
definition that does not validate) opens as a JSON text row: nothing stored
is dropped by opening and saving a rule.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticUndefined

from tiski.core.placeholders import ALLOWED_PLACEHOLDERS

from .conditions import FieldParams
from .params import ParamInfo, param_info
from .registry import (
    ACTIONS,
    CONDITIONS,
    GROUP_KEYS,
    MAX_GROUP_DEPTH,
    TRIGGER_EVENT_LABELS,
    TRIGGER_EVENTS,
    RuleKind,
)

Part = Literal["condition", "action"]
Widget = Literal[
    "select", "multiselect", "list", "number", "text", "textarea", "localised", "literal_or_list"
]

ROW_KEY = re.compile(r"^[a-z0-9]{1,16}$")
ROOT = "root"
# Option values that stand for None and for "a list instead" in a select;
# they cannot collide with ids, slugs or addresses.
NONE_KEY = "__none__"
LIST_KEY = "__list__"
# Up to this many choices a multi-value choice shows as checkboxes; more as
# a multiple select.
CHECKBOX_LIMIT = 12

CONDITION_PATH = re.compile(
    r"^((?:all|any|none)\[\d+\](?:\.(?:all|any|none)\[\d+\])*): (.*)$", re.S
)
ACTION_PATH = re.compile(r"^(\[\d+\]): (.*)$", re.S)
PARAM_MESSAGE = re.compile(r"^([A-Za-z_]\w*)(?:\.[^:]*)?: (.*)$", re.S)

SECTION_LABELS: dict[str, Promise] = {
    "all": gettext_lazy("All of these conditions"),
    "any": gettext_lazy("At least one of these conditions"),
    "none": gettext_lazy("None of these conditions"),
}
GROUP_SECTION_LABELS: dict[str, Promise] = {
    "all": gettext_lazy("all of"),
    "any": gettext_lazy("at least one of"),
    "none": gettext_lazy("none of"),
}

# --- labels ------------------------------------------------------------------------
# Everything a parameter means to people (label, options, references) is on
# the parameter itself (`params.param`); these are only the builder's own.

LANGUAGE_LABELS: dict[Any, Promise] = {
    "fi": gettext_lazy("Finnish"),
    "en": gettext_lazy("English"),
}
BOOL_LABELS: dict[Any, Promise] = {True: gettext_lazy("Yes"), False: gettext_lazy("No")}


# --- choices ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    key: str
    value: Any
    label: str


def choice_key(value: Any) -> str:
    """How a value is written in an option: None and booleans get names."""
    if value is None:
        return NONE_KEY
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


class ChoiceCache:
    """A parameter's options, each source read once per request however
    many rows use it (every "team" select shares one query)."""

    def __init__(self) -> None:
        self._found: dict[Any, list[Choice]] = {}

    def get(self, info: ParamInfo | None) -> list[Choice]:
        if info is None or info.options is None:
            return []
        if not info.dynamic:
            return [Choice(choice_key(v), v, str(label)) for v, label in info.options.items()]  # type: ignore[union-attr]
        source = info.options
        if source not in self._found:
            self._found[source] = [
                Choice(choice_key(value), value, str(label))
                for value, label in source()  # type: ignore[operator]
            ]
        return self._found[source]


class _NoDatabase(ChoiceCache):
    """Reading a posted row needs only the options fixed in code: values
    from the database are read back by their key (an id, a slug)."""

    def get(self, info: ParamInfo | None) -> list[Choice]:
        if info is not None and info.dynamic:
            return []
        return super().get(info)


_NO_DB = _NoDatabase()


# --- parameter specs from the pydantic schema --------------------------------------------


@dataclass(frozen=True)
class Shape:
    """What a parameter's JSON schema allows, flattened out of ``anyOf``."""

    literals: tuple[Any, ...] = ()
    scalars: frozenset[str] = frozenset()
    nullable: bool = False
    items: Shape | None = None
    languages: tuple[str, ...] = ()


def shape_of(schema: Mapping[str, Any], defs: Mapping[str, Any] | None = None) -> Shape:
    defs = defs or {}
    if "$ref" in schema:
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    literals: list[Any] = []
    scalars: set[str] = set()
    nullable = False
    items: Shape | None = None
    languages: tuple[str, ...] = ()
    for option in schema.get("anyOf", [schema]):
        if "$ref" in option:
            option = defs.get(option["$ref"].rsplit("/", 1)[-1], {})
        kind = option.get("type")
        if "const" in option:
            literals.append(option["const"])
        elif "enum" in option:
            literals.extend(option["enum"])
        elif kind == "null":
            nullable = True
        elif kind == "array":
            items = shape_of(option.get("items", {}), defs)
        elif kind == "object" and "propertyNames" in option:
            # {"fi": ..., "en": ...}: a text per language.
            languages = tuple(option["propertyNames"].get("enum", ()))
        elif kind:
            scalars.add(kind)
    if languages and "string" in scalars:
        scalars.discard("string")
    return Shape(tuple(literals), frozenset(scalars), nullable, items, languages)


@dataclass(frozen=True)
class ParamSpec:
    name: str
    label: Any
    widget: Widget
    choices: tuple[Choice, ...] = ()
    # literal_or_list: the choices of the list part.
    list_choices: tuple[Choice, ...] = ()
    # How free text is read back: "integer", "number", "string".
    scalars: frozenset[str] = frozenset({"string"})
    nullable: bool = False
    required: bool = True
    default: Any = PydanticUndefined
    languages: tuple[str, ...] = ()
    # Changing this input re-renders the row (e.g. "is" -> "is one of").
    rerender: bool = False
    placeholders: tuple[str, ...] = ()
    multiline: bool = False
    help: Any = ""

    @property
    def has_default(self) -> bool:
        return self.default is not PydanticUndefined


def _labelled(values: Iterable[Any], options: list[Choice]) -> list[Choice]:
    """Fixed values (the schema's literals) with the labels the options give."""
    labels = {choice.key: choice.label for choice in options}
    return [Choice(choice_key(v), v, labels.get(choice_key(v), str(v))) for v in values]


def _none_choice(info: ParamInfo | None) -> Choice:
    label = info.none_label if info is not None and info.none_label else gettext_lazy("None")
    return Choice(NONE_KEY, None, str(label))


def _field_value_spec(
    model: type[FieldParams], info: ParamInfo | None, op: Any, cache: ChoiceCache
) -> ParamSpec:
    """The ``value`` of an equals / in condition: one value or a list, by `op`."""
    offered = info is not None and info.options is not None
    choices: list[Choice] = [_none_choice(info)] if model.nullable else []
    if offered:
        choices += cache.get(info)
    elif model.choices is not None:
        choices += _labelled(model.choices, [])
    scalars = frozenset({"integer"} if model.kind is int else {"string"})
    many = op in ("in", "not_in")
    if offered or model.choices is not None:
        widget: Widget = "multiselect" if many else "select"
    else:
        widget = "list" if many else ("number" if model.kind is int else "text")
    return ParamSpec(
        name="value",
        label=info.label if info is not None else gettext_lazy("Value"),
        widget=widget,
        choices=tuple(choices),
        scalars=scalars,
        nullable=model.nullable,
        help=info.help if info is not None else "",
    )


@cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    # Built once per params model; callers only read it.
    return model.model_json_schema()


def param_specs(
    part: Part, type_name: str, values: Mapping[str, Any], cache: ChoiceCache
) -> list[ParamSpec]:
    """The inputs of one row, generated from its type's params model."""
    registry = CONDITIONS if part == "condition" else ACTIONS
    kind = registry.get(type_name)
    if kind is None:
        return []
    model = kind.params
    schema = _schema(model)
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    defs = schema.get("$defs", {})
    specs: list[ParamSpec] = []
    for name, field_info in model.model_fields.items():
        default = (
            field_info.default
            if field_info.default_factory is None
            else field_info.default_factory()  # type: ignore[call-arg]
        )
        info = param_info(model, name)
        if issubclass(model, FieldParams) and name == "value":
            op = values.get("op", model.model_fields["op"].default)
            specs.append(_field_value_spec(model, info, op, cache))
            continue
        shape = shape_of(properties.get(name, {}), defs)
        offered = cache.get(info)
        has_options = info is not None and info.options is not None
        # Options beyond the schema's fixed values: rows from the database.
        extra = [choice for choice in offered if choice.value not in shape.literals]
        common: dict[str, Any] = {
            "name": name,
            "label": info.label if info is not None else name.replace("_", " ").capitalize(),
            "help": info.help if info is not None else "",
            "required": name in required,
            "default": default,
            "nullable": shape.nullable,
            "scalars": shape.scalars or frozenset({"string"}),
        }
        null_choice = [_none_choice(info)] if shape.nullable else []
        if shape.languages:
            specs.append(
                ParamSpec(
                    widget="localised",
                    languages=shape.languages,
                    placeholders=ALLOWED_PLACEHOLDERS if info and info.placeholders else (),
                    multiline=bool(info and info.multiline),
                    **common,
                )
            )
        elif shape.items is not None and shape.literals:
            literal = _labelled(shape.literals, offered)
            list_label = info.list_label if info is not None and info.list_label else None
            literal.append(Choice(LIST_KEY, LIST_KEY, str(list_label or _("A list"))))
            items = extra or _labelled(shape.items.literals, offered)
            common["scalars"] = shape.items.scalars or frozenset({"string"})
            specs.append(
                ParamSpec(
                    widget="literal_or_list",
                    choices=tuple(literal),
                    list_choices=tuple(items),
                    **common,
                )
            )
        elif shape.items is not None:
            items = extra or _labelled(shape.items.literals, offered)
            common["scalars"] = shape.items.scalars or frozenset({"string"})
            many: Widget = "multiselect" if has_options or shape.items.literals else "list"
            specs.append(ParamSpec(widget=many, choices=tuple(items), **common))
        elif shape.scalars == {"boolean"} and not shape.literals:
            labels = {c.value: c.label for c in offered} or BOOL_LABELS
            choices = [Choice(choice_key(v), v, str(labels[v])) for v in (True, False)]
            specs.append(ParamSpec(widget="select", choices=tuple(choices), **common))
        elif shape.literals or has_options:
            choices = null_choice + _labelled(shape.literals, offered) + extra
            specs.append(ParamSpec(widget="select", choices=tuple(choices), **common))
        elif shape.scalars & {"integer", "number"}:
            specs.append(ParamSpec(widget="number", **common))
        else:
            multiline = bool(info and info.multiline)
            widget: Widget = "textarea" if multiline else "text"
            specs.append(ParamSpec(widget=widget, multiline=multiline, **common))
    # A field condition's "op" decides the shape of "value": re-render on change.
    return [
        replace(spec, rerender=True)
        if spec.name == "op" and issubclass(model, FieldParams)
        else spec
        for spec in specs
    ]


# --- reading posted values --------------------------------------------------------------

_ABSENT = object()


def _coerce(text: str, scalars: frozenset[str]) -> Any:
    """Free text to the JSON type the schema wants; text that fits none stays text
    (the registry then names the problem and the input shows what was typed)."""
    cleaned = text.strip()
    if "integer" in scalars and re.fullmatch(r"-?\d+", cleaned):
        return int(cleaned)
    if "number" in scalars:
        number = cleaned.replace(",", ".")  # a Finnish decimal comma
        if re.fullmatch(r"-?\d+", number):
            return int(number)
        try:
            found = float(number)
        except ValueError:
            return text
        if math.isfinite(found):
            return found
    return text


def _text(data: Mapping[str, Any], name: str) -> str:
    # Browsers send a textarea's line breaks as CRLF; stored texts use LF.
    return data.get(name, "").replace("\r\n", "\n")


def _in_stored_order(keys: list[str], stored: list[str]) -> list[str]:
    """Chosen keys in the order the rule had them, newly chosen ones after.

    Checkboxes post in the page's order; the hidden ``.order`` inputs say
    how the values were stored, so an unedited rule saves back the same.
    """
    chosen = [key for key in keys if key != ""]
    rank = {key: index for index, key in enumerate(stored)}
    return sorted(chosen, key=lambda key: rank.get(key, len(rank)))


def _from_key(key: str, choices: Iterable[Choice], scalars: frozenset[str]) -> Any:
    for choice in choices:
        if choice.key == key:
            return choice.value
    if key == NONE_KEY:
        return None
    # A value no longer offered (a deleted team): keep it as it was.
    return _coerce(key, scalars)


def read_param(spec: ParamSpec, data: Mapping[str, Any], name: str) -> Any:
    """One parameter from the posted form; `_ABSENT` when nothing was given."""
    getlist = data.getlist  # type: ignore[attr-defined]
    if spec.widget == "select":
        key = data.get(name, "")
        if key == "":
            return _ABSENT
        return _from_key(key, spec.choices, spec.scalars)
    if spec.widget == "multiselect":
        keys = _in_stored_order(getlist(name), getlist(f"{name}.order"))
        return [_from_key(k, spec.choices, spec.scalars) for k in keys]
    if spec.widget == "list":
        return [_coerce(v, spec.scalars) for v in getlist(name) if v.strip()]
    if spec.widget == "number":
        text = data.get(name, "")
        if text.strip() == "":
            return None if spec.nullable else _ABSENT
        return _coerce(text, spec.scalars)
    if spec.widget in ("text", "textarea"):
        text = _text(data, name)
        if text == "":
            return None if spec.nullable else _ABSENT
        return text
    if spec.widget == "localised":
        if data.get(f"{name}.per_language") == "1":
            texts = {code: _text(data, f"{name}.{code}") for code in spec.languages}
            return {code: text for code, text in texts.items() if text != ""}
        text = _text(data, name)
        return _ABSENT if text == "" else text
    if spec.widget == "literal_or_list":
        key = data.get(name, "")
        if key == "":
            return _ABSENT
        if key == LIST_KEY:
            keys = _in_stored_order(getlist(f"{name}.list"), getlist(f"{name}.order"))
            return [_from_key(k, spec.list_choices, spec.scalars) for k in keys]
        return _from_key(key, spec.choices, spec.scalars)
    return _ABSENT


# --- bound inputs for the templates ---------------------------------------------------------


@dataclass
class Option:
    key: str
    label: str
    selected: bool


@dataclass
class BoundParam:
    spec: ParamSpec
    html_name: str
    html_id: str
    options: list[Option] = field(default_factory=list)
    list_options: list[Option] = field(default_factory=list)
    text: str = ""
    texts: list[str] = field(default_factory=list)
    per_language: bool = False
    language_texts: list[tuple[str, str, str]] = field(default_factory=list)
    list_mode: bool = False
    # Keys of the chosen values in their stored order (see _in_stored_order).
    order: list[str] = field(default_factory=list)
    placeholder_option: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def widget(self) -> str:
        return self.spec.widget

    @property
    def label(self) -> Any:
        return self.spec.label

    @property
    def multiline(self) -> bool:
        return self.spec.multiline

    @property
    def as_checkboxes(self) -> bool:
        return len(self.options) <= CHECKBOX_LIMIT

    @property
    def list_as_checkboxes(self) -> bool:
        return len(self.list_options) <= CHECKBOX_LIMIT

    @property
    def placeholders(self) -> str:
        return ", ".join("{{ " + name + " }}" for name in self.spec.placeholders)


def _options(choices: Iterable[Choice], selected: list[Any], present: bool) -> list[Option]:
    """Options with the current values selected; a current value that is not
    among the choices (a deleted team, an unknown slug) is shown, not lost."""
    keys = [choice_key(v) for v in selected] if present else []
    options = [Option(c.key, c.label, c.key in keys) for c in choices]
    known = {c.key for c in choices}
    for value, key in zip(selected if present else [], keys, strict=True):
        if key not in known:
            options.append(Option(key, _("Unknown: %(value)s") % {"value": value}, True))
            known.add(key)
    return options


def bind(spec: ParamSpec, row_key: str, values: Mapping[str, Any]) -> BoundParam:
    present = spec.name in values
    value = values[spec.name] if present else spec.default
    present = present or spec.has_default
    html_name = f"{row_key}-{spec.name}"
    bound = BoundParam(spec, html_name, f"p-{row_key}-{spec.name}")
    if spec.widget == "select":
        bound.options = _options(spec.choices, [value], present)
        bound.placeholder_option = not present or value is PydanticUndefined
    elif spec.widget == "multiselect":
        current = value if isinstance(value, list) else ([value] if present else [])
        bound.options = _options(spec.choices, current, True)
        bound.order = [choice_key(v) for v in current]
    elif spec.widget == "list":
        current = value if isinstance(value, list) else ([value] if present else [])
        # One empty input at the end: adding a value needs no script.
        bound.texts = [str(v) for v in current] + [""]
    elif spec.widget in ("number", "text", "textarea"):
        bound.text = "" if not present or value is None else str(value)
    elif spec.widget == "localised":
        by_language = value if isinstance(value, dict) else {}
        bound.per_language = isinstance(value, dict)
        bound.text = value if present and isinstance(value, str) else ""
        bound.language_texts = [
            (code, str(LANGUAGE_LABELS.get(code, code)), str(by_language.get(code, "")))
            for code in spec.languages
        ]
    elif spec.widget == "literal_or_list":
        bound.list_mode = isinstance(value, list)
        bound.options = _options(
            spec.choices, [LIST_KEY if bound.list_mode else value], present or bound.list_mode
        )
        bound.placeholder_option = not present
        current = value if isinstance(value, list) else []
        bound.list_options = _options(spec.list_choices, current, True)
        bound.order = [choice_key(v) for v in current]
    return bound


# --- rows and groups ---------------------------------------------------------------------


@dataclass(frozen=True)
class TypeChoice:
    name: str
    label: Any
    time_based: bool = False


def type_choices(part: Part) -> list[TypeChoice]:
    if part == "condition":
        return [TypeChoice(t.name, t.label, t.time_based) for t in CONDITIONS.values()]
    return [TypeChoice(t.name, t.label) for t in ACTIONS.values()]


def new_key() -> str:
    return secrets.token_hex(4)


@dataclass
class Row:
    """One condition or action: a type and its parameter values (or raw JSON)."""

    key: str
    part: Part
    type: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    raw: str | None = None  # JSON text when the builder cannot show the item
    parent: str = ROOT
    section: str = "all"
    errors: list[str] = field(default_factory=list)
    param_errors: dict[str, list[str]] = field(default_factory=dict)
    builder_errors: list[str] = field(default_factory=list)
    path: str = ""
    params: list[BoundParam] = field(default_factory=list)
    types: list[TypeChoice] = field(default_factory=list)
    is_group = False

    @property
    def node(self) -> str:
        return "raw" if self.raw is not None else self.part

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.param_errors or self.builder_errors)

    @property
    def all_errors(self) -> list[str]:
        return self.builder_errors + self.errors

    def prepare(self, cache: ChoiceCache) -> None:
        self.types = type_choices(self.part)
        if self.raw is not None:
            return
        specs = param_specs(self.part, self.type, self.values, cache)
        self.params = [bind(spec, self.key, self.values) for spec in specs]
        for bound in self.params:
            bound.errors = self.param_errors.get(bound.name, [])

    def to_json(self) -> Any:
        if self.raw is not None:
            try:
                return json.loads(self.raw)
            except ValueError:
                return None  # reported by the builder; the registry refuses it too
        if not self.type:
            return {}
        return {"type": self.type, **self.values}


@dataclass
class GroupNode:
    key: str
    depth: int = 1
    parent: str = ROOT
    section: str = "all"
    sections: dict[str, list[Row | GroupNode]] = field(
        default_factory=lambda: {key: [] for key in GROUP_KEYS}
    )
    errors: list[str] = field(default_factory=list)
    builder_errors: list[str] = field(default_factory=list)
    path: str = ""
    is_group = True

    @property
    def can_nest(self) -> bool:
        return self.depth < MAX_GROUP_DEPTH

    @property
    def section_list(self) -> list[tuple[str, Any, list[Row | GroupNode]]]:
        labels = SECTION_LABELS if self.depth == 1 else GROUP_SECTION_LABELS
        return [(key, labels[key], self.sections[key]) for key in GROUP_KEYS]

    @property
    def all_errors(self) -> list[str]:
        return self.builder_errors + self.errors

    def walk(self) -> Iterable[Row | GroupNode]:
        for key in GROUP_KEYS:
            for item in self.sections[key]:
                yield item
                if isinstance(item, GroupNode):
                    yield from item.walk()

    def to_json(self) -> dict[str, Any]:
        found = {
            key: [item.to_json() for item in self.sections[key]]
            for key in GROUP_KEYS
            if self.sections[key]
        }
        # An empty group is stored as the model's default, {"all": []}.
        return found or {"all": []}


# --- from stored JSON ----------------------------------------------------------------


def _representable(part: Part, item: Any) -> bool:
    """Whether a stored item opens as a normal row and saves back the same."""
    registry = CONDITIONS if part == "condition" else ACTIONS
    if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
        return False
    kind = registry.get(item["type"])
    if kind is None:
        return False
    params = {k: v for k, v in item.items() if k != "type"}
    if set(params) - set(kind.params.model_fields):
        return False
    try:
        kind.params.model_validate(params)
    except PydanticValidationError:
        return False
    # A line break in a one-line input would be lost on the way back.
    for spec in param_specs(part, item["type"], params, _NO_DB):
        if spec.name in params and not _fits_one_line(spec, params[spec.name]):
            return False
    return True


def _fits_one_line(spec: ParamSpec, value: Any) -> bool:
    if spec.widget == "textarea" or (spec.widget == "localised" and spec.multiline):
        return True
    texts = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
    )
    return not any(isinstance(t, str) and ("\n" in t or "\r" in t) for t in texts)


def _raw(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def row_from_json(part: Part, key: str, item: Any, parent: str = ROOT, section: str = "all") -> Row:
    if _representable(part, item):
        values = {k: v for k, v in item.items() if k != "type"}
        return Row(key, part, item["type"], values, parent=parent, section=section)
    return Row(key, part, raw=_raw(item), parent=parent, section=section)


def _is_clean_group(item: Any) -> bool:
    """A group the builder can show: only all/any/none, each a list."""
    return (
        isinstance(item, Mapping)
        and bool(item)
        and set(item) <= set(GROUP_KEYS)
        and all(isinstance(value, list) for value in item.values())
    )


def _group_from_json(data: Any, key: str, depth: int, keys: Iterable[str]) -> GroupNode:
    group = GroupNode(key, depth)
    names = iter(keys)
    for section in GROUP_KEYS:
        for item in data.get(section, []):
            child_key = next(names)
            # An empty nested group shows as JSON: the builder would refuse it.
            if depth < MAX_GROUP_DEPTH and _is_clean_group(item) and any(item.values()):
                child = _group_from_json(item, child_key, depth + 1, names)
                child.parent, child.section = key, section
                group.sections[section].append(child)
            else:
                group.sections[section].append(
                    row_from_json("condition", child_key, item, parent=key, section=section)
                )
    return group


# --- the whole rule --------------------------------------------------------------------


@dataclass
class RuleBuilder:
    kind: RuleKind
    name: str = ""
    active: bool = True
    events: list[str] = field(default_factory=list)
    root: GroupNode = field(default_factory=lambda: GroupNode(ROOT))
    actions: list[Row] = field(default_factory=list)
    # Messages that belong to no row: name, events, the parts as a whole.
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    conditions_raw: str | None = None

    @classmethod
    def from_rule(cls, kind: RuleKind, rule: Any) -> RuleBuilder:
        """A builder showing a stored rule (a Trigger or TimeRule, saved or not)."""
        counter = (f"c{n}" for n in range(1, 100_000))
        builder = cls(kind, name=rule.name, active=rule.active)
        if kind == "trigger":
            builder.events = list(rule.events) if isinstance(rule.events, list) else []
        if rule.conditions in (None, {}) or _is_clean_group(rule.conditions):
            builder.root = _group_from_json(rule.conditions or {}, ROOT, 1, counter)
        else:
            # Not a group at all: keep it whole as JSON for the admin to mend.
            builder.conditions_raw = _raw(rule.conditions)
        stored_actions = rule.actions if isinstance(rule.actions, list) else []
        builder.actions = [
            row_from_json("action", f"a{n}", item) for n, item in enumerate(stored_actions, 1)
        ]
        return builder

    @classmethod
    def from_post(cls, kind: RuleKind, data: Any) -> RuleBuilder:
        """The builder as the admin left it: every row and value as posted."""
        builder = cls(
            kind,
            name=data.get("name", "").strip(),
            active=data.get("active") == "1",
            events=[e for e in data.getlist("events") if e] if kind == "trigger" else [],
        )
        if "conditions_raw" in data:
            builder.conditions_raw = data.get("conditions_raw", "")
        nodes: dict[str, GroupNode] = {ROOT: builder.root}
        seen: set[str] = set()
        for key in data.getlist("cond"):
            if not ROW_KEY.match(key) or key in seen or key == ROOT:
                continue
            seen.add(key)
            parent = nodes.get(data.get(f"{key}-parent", ROOT), builder.root)
            section = data.get(f"{key}-section", "all")
            section = section if section in GROUP_KEYS else "all"
            node = data.get(f"{key}-node", "condition")
            if node == "group":
                group = GroupNode(key, parent.depth + 1, parent.key, section)
                nodes[key] = group
                parent.sections[section].append(group)
            else:
                row = read_row("condition", key, data)
                row.parent, row.section = parent.key, section
                parent.sections[section].append(row)
        for key in data.getlist("act"):
            if ROW_KEY.match(key) and key not in seen:
                seen.add(key)
                builder.actions.append(read_row("action", key, data))
        builder._check()
        return builder

    def _check(self) -> None:
        """Problems the registry cannot name well: rows without a type, bad JSON."""
        for item in [*self.root.walk(), *self.actions]:
            if isinstance(item, GroupNode):
                if not any(item.sections.values()):
                    item.builder_errors.append(
                        _("This group is empty: add a condition to it or remove it.")
                    )
            elif item.raw is not None:
                try:
                    json.loads(item.raw)
                except ValueError as exc:
                    item.builder_errors.append(_("Not valid JSON: %(error)s") % {"error": exc})
            elif not item.type:
                item.builder_errors.append(
                    _("Choose a condition.") if item.part == "condition" else _("Choose an action.")
                )
        if self.conditions_raw is not None:
            try:
                json.loads(self.conditions_raw)
            except ValueError as exc:
                self.field_errors.setdefault("conditions", []).append(
                    _("Not valid JSON: %(error)s") % {"error": exc}
                )

    @property
    def has_builder_errors(self) -> bool:
        items = [*self.root.walk(), *self.actions]
        return bool(self.field_errors) or any(item.builder_errors for item in items)

    def assemble(self) -> tuple[Any, list[Any]]:
        """The stored JSON of conditions and actions; gives every row its path."""
        if self.conditions_raw is not None:
            try:
                conditions: Any = json.loads(self.conditions_raw)
            except ValueError:
                conditions = None
        else:
            self._number(self.root, "")
            conditions = self.root.to_json()
        for index, row in enumerate(self.actions):
            row.path = f"[{index}]"
        return conditions, [row.to_json() for row in self.actions]

    def _number(self, group: GroupNode, path: str) -> None:
        group.path = path
        for section in GROUP_KEYS:
            for index, item in enumerate(group.sections[section]):
                item_path = f"{path}.{section}[{index}]" if path else f"{section}[{index}]"
                if isinstance(item, GroupNode):
                    self._number(item, item_path)
                else:
                    item.path = item_path

    def attach_errors(self, errors: Mapping[str, list[str]]) -> None:
        """Put the messages of a ValidationError (keyed by part) on their rows.

        A message whose path names no row (the part as a whole, the name, the
        events) stays with its field.
        """
        self.assemble()  # the paths must be those of the definition checked
        targets: dict[str, dict[str, Row | GroupNode]] = {
            "actions": {row.path: row for row in self.actions}
        }
        if self.conditions_raw is None:
            targets["conditions"] = {item.path: item for item in self.root.walk()}
        for part, messages in errors.items():
            pattern = CONDITION_PATH if part == "conditions" else ACTION_PATH
            for message in messages:
                found = pattern.match(message) if part in targets else None
                target, rest = _find_target(targets.get(part, {}), found)
                if target is None:
                    self.field_errors.setdefault(part, []).append(message)
                elif not target.builder_errors:
                    # Otherwise the builder already said what is wrong, more plainly.
                    _attach(target, rest)

    def prepare(self) -> RuleBuilder:
        """Bind every row's inputs (reads the database choices once)."""
        cache = ChoiceCache()
        for item in [*self.root.walk(), *self.actions]:
            if isinstance(item, Row):
                item.prepare(cache)
        return self

    # What the editor shows around the rows.

    @property
    def has_errors(self) -> bool:
        items = [*self.root.walk(), *self.actions]
        return bool(self.field_errors) or any(
            item.all_errors or (isinstance(item, Row) and item.param_errors) for item in items
        )

    @property
    def general_errors(self) -> list[str]:
        """Messages for no field the editor shows (e.g. a model-wide check)."""
        shown = {"name", "events", "conditions", "actions"}
        return [m for part, ms in self.field_errors.items() if part not in shown for m in ms]

    @property
    def event_options(self) -> list[tuple[str, Any, bool]]:
        options = [
            (name, TRIGGER_EVENT_LABELS[name], name in self.events) for name in TRIGGER_EVENTS
        ]
        options += [
            (name, _("Unknown event “%(event)s”") % {"event": name}, True)
            for name in self.events
            if name not in TRIGGER_EVENTS
        ]
        return options


def _find_target(
    targets: Mapping[str, Row | GroupNode], found: re.Match[str] | None
) -> tuple[Row | GroupNode | None, str]:
    """The row a registry path names; inside a JSON row, that row (the rest of
    the path stays in the message)."""
    if found is None:
        return None, ""
    path, rest = found.group(1), found.group(2)
    inner = ""
    while path not in targets and "." in path:
        path, tail = path.rsplit(".", 1)
        inner = f"{tail}.{inner}" if inner else tail
    if path not in targets:
        return None, ""
    return targets[path], f"{inner}: {rest}" if inner else rest


def _attach(target: Row | GroupNode, message: str) -> None:
    if isinstance(target, Row) and target.raw is None:
        param = PARAM_MESSAGE.match(message)
        names = {spec.name for spec in param_specs(target.part, target.type, target.values, _NO_DB)}
        if param and param.group(1) in names:
            bucket = target.param_errors.setdefault(param.group(1), [])
            if param.group(2) not in bucket:
                bucket.append(param.group(2))
            return
    if message not in target.errors:
        target.errors.append(message)


def read_row(part: Part, key: str, data: Any, *, reset: bool = False) -> Row:
    """One row from posted data; `reset` drops its parameters (the type changed)."""
    type_name = data.get(f"{key}-type", "")
    registry = CONDITIONS if part == "condition" else ACTIONS
    if data.get(f"{key}-node") == "raw" and not (reset and type_name):
        return Row(key, part, raw=data.get(f"{key}-raw", ""))
    row = Row(key, part, type_name if type_name in registry else "")
    if reset or not row.type:
        return row
    # Read "op" first: it decides the shape of a field condition's value.
    values: dict[str, Any] = {}
    for spec in param_specs(part, row.type, {}, _NO_DB):
        if spec.name == "op":
            found = read_param(spec, data, f"{key}-op")
            if found is not _ABSENT:
                values["op"] = found
    for spec in param_specs(part, row.type, values, _NO_DB):
        found = read_param(spec, data, f"{key}-{spec.name}")
        if found is not _ABSENT:
            values[spec.name] = found
    row.values = values
    return row
