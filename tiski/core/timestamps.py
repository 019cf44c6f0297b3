"""Timestamps read from PostgreSQL parsed in C, not line by line in Python.

Django reads every ``timestamptz`` through a subclass of psycopg's
pure-Python loader (to hand back its own time zone object), so each
timestamp of every row is matched by a regular expression and assembled in
Python: about a tenth of the CPU of the time-rule pass and of an import's
catch-up, and a share of every page. psycopg's own C loader cannot be
subclassed, so this loader parses PostgreSQL's ISO text with the
standard library's ``datetime.fromisoformat`` (C) and converts it to the
zone Django asks for, as Django's loader does. Anything that form does not
cover (years before 1 or after 9999, infinity, another ``DateStyle``) goes
to Django's loader as before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connections


def register() -> None:
    """Put the loader in the adapters Django gives each new PostgreSQL connection."""
    for alias in settings.DATABASES:
        wrapper = connections[alias]
        if wrapper.vendor != "postgresql":
            continue
        from django.db.backends.postgresql.psycopg_any import BaseTzLoader, get_adapters_template

        zone = wrapper.timezone

        class IsoTzLoader(BaseTzLoader):
            # Django's cursors compare this to the connection's zone (and
            # register their own loader only where the two differ).
            timezone = zone

            def load(self, data: Any) -> datetime:
                try:
                    value = datetime.fromisoformat(str(data, "ascii"))
                except ValueError:
                    return super().load(data)
                if self.timezone is None:  # USE_TZ off: the session's wall time
                    return value.replace(tzinfo=None)
                return value.astimezone(self.timezone)

        get_adapters_template(settings.USE_TZ, zone).register_loader("timestamptz", IsoTzLoader)
