"""Tag housekeeping for admins: rename, merge and delete.

Every ticket that carries the tag gets its own tag events through
`actions.retag`, so a ticket's history says why its tags changed. This is
bookkeeping, not news: handlers that react to fresh changes (rules,
routing, mail) do not run; the search index and SLA clocks catch up once
at the end, like an import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import actions, changes
from .models import Tag, Ticket, Via

if TYPE_CHECKING:
    from tiski.accounts.models import User


def _move(source: Tag, target_name: str | None, *, actor: User, how: str) -> int:
    """Take `source` off every ticket (putting `target_name` on instead) and
    delete it. Returns how many tickets changed."""
    meta = {"tag_housekeeping": how, "tag": source.name}
    tickets = Ticket.objects.visible_to(actor).filter(tags=source).order_by("pk")
    with changes.deferred() as ids, actions.unit_of_work():
        count = 0
        for ticket in list(tickets):
            actions.retag(
                ticket,
                add=[target_name] if target_name else [],
                remove=[source.name],
                actor=actor,
                via=Via.AGENT,
                event_meta=meta,
            )
            count += 1
        source.delete()
    # After the commit, like every other handler run.
    transaction.on_commit(lambda: changes.catch_up(ids))
    return count


def check_new_name(name: str, *, current: Tag | None = None) -> str:
    """The normalised name, or a ValidationError saying what is wrong."""
    normalised = Tag.normalise(name)
    if not normalised:
        raise ValidationError(_("Write the tag's new name."))
    if len(normalised) > 60:
        raise ValidationError(_("A tag name can be at most 60 characters long."))
    other = Tag.objects.filter(name=normalised).exclude(pk=getattr(current, "pk", None)).first()
    if other is not None:
        raise ValidationError(
            _("A tag called “%(name)s” already exists. Merge the two tags instead.")
            % {"name": normalised}
        )
    return normalised


def rename_tag(tag: Tag, new_name: str, *, actor: User) -> tuple[Tag, int]:
    """Give a tag a new name on every ticket; returns the tag and the tickets changed."""
    name = check_new_name(new_name, current=tag)
    if name == tag.name:
        return tag, 0
    with transaction.atomic():
        renamed = Tag.objects.create(name=name)
        count = _move(tag, name, actor=actor, how="rename")
    return renamed, count


def merge_tags(source: Tag, target: Tag, *, actor: User) -> int:
    """Replace `source` with `target` on every ticket and delete `source`."""
    if source.pk == target.pk:
        raise ValidationError(_("Choose another tag: a tag cannot be merged into itself."))
    with transaction.atomic():
        count = _move(source, target.name, actor=actor, how="merge")
    return count


def delete_tag(tag: Tag, *, actor: User) -> int:
    """Remove the tag from every ticket and delete it."""
    with transaction.atomic():
        count = _move(tag, None, actor=actor, how="delete")
    return count
