"""The desk-wide settings admins edit (name, language, time zone, logo),
for every layer: read at call time, with the server settings as fallback."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django.conf import settings
from django.db import DatabaseError

from .models import DeskSettings


def current() -> DeskSettings:
    """The saved row, or an unsaved default one when the table is not there yet
    (a command running before `migrate`)."""
    try:
        return DeskSettings.objects.filter(pk=1).first() or DeskSettings(pk=1)
    except DatabaseError:
        return DeskSettings(pk=1)


def lists_version(row: DeskSettings) -> str | None:
    """The version the process's kept lists are read under (core/config_cache.py);
    None while the row is not saved, when nothing is kept."""
    return None if row._state.adding else row.lists_version


def default_language(row: DeskSettings | None = None) -> str:
    """The language of texts written for the desk rather than for one person."""
    row = row if row is not None else current()
    return row.default_language or settings.LANGUAGE_CODE


def time_zone_name(row: DeskSettings | None = None) -> str:
    row = row if row is not None else current()
    return row.time_zone if row.time_zone in time_zone_names() else settings.TIME_ZONE


def user_time_zone_name(user, row: DeskSettings | None = None) -> str:
    """The zone a person reads times in: their own choice, else the desk's."""
    own = getattr(user, "time_zone", "")
    return own if own in time_zone_names() else time_zone_name(row)


def desk_name(row: DeskSettings | None = None) -> str:
    row = row if row is not None else current()
    return row.name or "Tiski"


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())
