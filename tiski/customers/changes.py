"""Contacts created or merged, announced after commit to the handlers settings name.

Like ticket changes (`tickets.changes`), by dotted path in
``settings.TISKI_CONTACT_CHANGE_HANDLERS`` rather than by import, so a
higher floor (webhooks out) hears of it without this app knowing it. A
failing handler is logged and never undoes the change or stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

CREATED = "created"
MERGED = "merged"


def announce(event: str, contact_ids: Iterable[int], **data: Any) -> None:
    ids = list(contact_ids)
    paths = getattr(settings, "TISKI_CONTACT_CHANGE_HANDLERS", ())
    if ids and paths:
        transaction.on_commit(lambda: _dispatch(paths, event, ids, data))


def _dispatch(paths: Iterable[str], event: str, ids: list[int], data: dict[str, Any]) -> None:
    for path in paths:
        try:
            import_string(path)(event, ids, data)
        except Exception:  # one broken handler must not stop the others
            log.exception("contact change handler %s failed", path)
