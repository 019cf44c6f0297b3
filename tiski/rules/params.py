"""What a rule type's parameters mean to people, written on the parameters.

A condition or action type declares its parameters as a pydantic model.
Each field says, through `param()`, how the rule builder shows it (label,
help text, options) and which kind of record its value points at
(``references``), which tag renames and deletions use to find the rules
that name a record. The builder reads only this, so a new type needs no
table elsewhere::

    class SetTeamParams(Params):
        team: int | None = param(
            label=gettext_lazy("Team"),
            options=team_options,
            references="team",
            none_label=gettext_lazy("No team"),
        )

Options are either a mapping (value -> label, for values fixed in code) or a
callable returning ``(value, label)`` pairs (rows in the database, or labels
admins can edit, such as priorities): it is called when the builder draws
the row, once per request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticUndefined

Label = str | Promise
OptionSource = Callable[[], Iterable[tuple[Any, Label]]]
Options = Mapping[Any, Label] | OptionSource

# Kinds of records a parameter value can point at. Each is the value a
# parameter stores: a team's, agent's or organisation's id, a ticket type's
# slug, a mailbox's lower-cased address, a tag's name.
REFERENCE_KINDS = ("team", "agent", "organisation", "ticket_type", "mailbox", "tag")


@dataclass(frozen=True)
class ParamInfo:
    """The people-facing description of one parameter."""

    label: Label
    help: Label = ""
    options: Options | None = None
    references: str | None = None
    # How the builder names None (a nullable select) and "a list instead"
    # (a parameter that is one fixed value or a list, like "to" of notify).
    none_label: Label | None = None
    list_label: Label | None = None
    multiline: bool = False
    placeholders: bool = False

    def __post_init__(self) -> None:
        if self.references is not None and self.references not in REFERENCE_KINDS:
            raise ValueError(f"unknown reference kind {self.references!r}")

    @property
    def dynamic(self) -> bool:
        """Whether the options come from a callable (read when a row is drawn)."""
        return self.options is not None and not isinstance(self.options, Mapping)


def param(
    default: Any = PydanticUndefined,
    *,
    label: Label,
    help: Label = "",
    options: Options | None = None,
    references: str | None = None,
    none_label: Label | None = None,
    list_label: Label | None = None,
    multiline: bool = False,
    placeholders: bool = False,
    **field: Any,
) -> Any:
    """A pydantic `Field` carrying its `ParamInfo`; other keywords go to `Field`."""
    # The help stays off the JSON schema: a lazy translation must not be
    # turned into text at import time.
    info = Field(default, **field)
    info.metadata.append(
        ParamInfo(
            label=label,
            help=help,
            options=options,
            references=references,
            none_label=none_label,
            list_label=list_label,
            multiline=multiline,
            placeholders=placeholders,
        )
    )
    return info


def param_info(model: type[BaseModel], name: str) -> ParamInfo | None:
    field = model.model_fields.get(name)
    if field is None:
        return None
    return next((m for m in field.metadata if isinstance(m, ParamInfo)), None)


def references_of(model: type[BaseModel]) -> dict[str, str]:
    """{parameter: reference kind} of a params model."""
    found: dict[str, str] = {}
    for name in model.model_fields:
        info = param_info(model, name)
        if info is not None and info.references:
            found[name] = info.references
    return found


class Params(BaseModel):
    """The base of every parameter model: unknown keys are refused, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
