"""Tell a user's open desk sockets that their role, state or teams changed.

Each desk socket decides from its user's `Viewer` which ticket changes it
hears of (`tiski.desk.consumers`). Memberships change through several
forms (Settings, invitations, the Django admin, imports), so the model
signals are the one place that sees them all; the message goes out after
commit, when the socket's re-read finds the new teams.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_save

from tiski.accounts.models import Team, User
from tiski.core.realtime import send, user_group

MEMBERSHIP_ACTIONS = {"post_add", "post_remove", "post_clear", "pre_clear"}


def announce(user_ids: Iterable[int]) -> None:
    """After commit, every open desk socket of these users re-reads its viewer."""
    ids = sorted(set(user_ids))
    if not ids:
        return

    def push() -> None:
        for user_id in ids:
            send(user_group(user_id), {"type": "viewer.changed"})

    transaction.on_commit(push)


def _members_changed(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    if action not in MEMBERSHIP_ACTIONS:
        return
    if isinstance(instance, User):  # user.teams.set(...)
        if action != "pre_clear":
            announce([instance.pk])
    elif action == "pre_clear":  # team.members.clear(): who they were
        announce(instance.members.values_list("pk", flat=True))
    elif action != "post_clear":
        announce(kwargs.get("pk_set") or ())


# The fields a Viewer reads; a save of others (the last login) changes nothing.
VIEWER_FIELDS = frozenset({"role", "is_superuser", "is_active"})


def _user_saved(
    sender: Any, instance: User, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    if created:
        return  # a new user has no socket yet
    if update_fields is None or VIEWER_FIELDS & set(update_fields):
        announce([instance.pk])


def connect() -> None:
    m2m_changed.connect(
        _members_changed, sender=Team.members.through, dispatch_uid="tiski.desk.viewers.members"
    )
    post_save.connect(_user_saved, sender=User, dispatch_uid="tiski.desk.viewers.user")
