"""Rules and ready answers that name a tag: listed before a tag is deleted,
carried over when it is renamed or merged.

Rules and ready answers find their own uses (the rules through the
references their parameters declare); this module puts the two together
for Settings → Tags and writes each change to the settings log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tiski.macros import references as macro_references
from tiski.rules import services as rule_services

from .audit import record_setting_change

KIND_TITLES = {
    "trigger": _("Trigger"),
    "time": _("Time rule"),
    "macro": _("Ready answer"),
}


@dataclass(frozen=True)
class TagUse:
    kind: str  # "trigger", "time" or "macro"
    name: str
    url: str
    # Which conditions or actions name the tag ("Tags", "Add tags").
    where: tuple[str, ...] = ()

    @property
    def title(self) -> Any:
        return KIND_TITLES[self.kind]


def uses_of(name: str) -> list[TagUse]:
    """Every rule and ready answer that names the tag: rules first, in their order."""
    found = [
        TagUse(
            use.kind,
            use.rule.name,
            reverse(f"rules:{use.kind}-edit", args=[use.rule.pk]),
            tuple(use.types),
        )
        for use in rule_services.rules_using("tag", name)
    ]
    found += [
        TagUse("macro", macro.name, reverse("setup:macro-edit", args=[macro.pk]))
        for macro in macro_references.macros_using_tag(name)
    ]
    return found


def carry_over(old: str, new: str, *, actor: Any) -> int:
    """Rules and ready answers naming `old` name `new` instead; returns how many
    changed. Call it in the transaction of the rename or merge."""
    rules = rule_services.rewrite_references("tag", old, new, actor=actor)
    macros = macro_references.rename_tag(old, new)
    for macro, before in macros:
        record_setting_change(
            actor, "macros", "changed", macro, {"add_tags": [before, macro.add_tags]}
        )
    return len(rules) + len(macros)
