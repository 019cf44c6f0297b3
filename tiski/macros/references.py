"""Which ready answers name a tag, and renaming it in them.

A ready answer adds tags when it is sent (`Macro.add_tags`, a list of
names); Settings → Tags asks here before deleting a tag and carries a
renamed or merged tag over.
"""

from __future__ import annotations

from django.db import transaction

from tiski.tickets.models import Tag

from .models import Macro


def _names(macro: Macro) -> list[str]:
    return [Tag.normalise(name) for name in macro.add_tags or [] if isinstance(name, str)]


def macros_using_tag(name: str) -> list[Macro]:
    """Ready answers (shared and personal, active or not) that add the tag."""
    wanted = Tag.normalise(name)
    # A desk has tens of ready answers: reading them is cheaper than a JSON
    # query that differs between SQLite and PostgreSQL.
    return [macro for macro in Macro.objects.order_by("name", "pk") if wanted in _names(macro)]


def rename_tag(old: str, new: str) -> list[tuple[Macro, list[str]]]:
    """Put `new` where ready answers add `old`; each changed one with its old tags."""
    old_name, new_name = Tag.normalise(old), Tag.normalise(new)
    changed: list[tuple[Macro, list[str]]] = []
    with transaction.atomic():
        for macro in macros_using_tag(old_name):
            before = list(macro.add_tags)
            tags: list[str] = []
            for name in _names(macro):
                name = new_name if name == old_name else name
                if name not in tags:
                    tags.append(name)
            macro.add_tags = tags
            macro.save(update_fields=["add_tags"])
            changed.append((macro, before))
    return changed
