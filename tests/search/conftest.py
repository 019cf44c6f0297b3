"""Tickets made through the actions, with their after-commit handlers run.

pytest-django's transaction never commits, so the index handler (which runs
after commit, like in production) is run by capturing the callbacks.
"""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block's on-commit callbacks (indexing among them) when it ends."""

    def block():
        return django_capture_on_commit_callbacks(execute=True)

    return block


@pytest.fixture
def indexed_ticket(make_ticket, committed):
    def make(*args, **kwargs):
        with committed():
            return make_ticket(*args, **kwargs)

    return make


def on_postgres() -> bool:
    return connection.vendor == "postgresql"
