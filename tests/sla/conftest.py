from __future__ import annotations

import importlib

import pytest
from django.apps import apps


@pytest.fixture(autouse=True)
def default_sla(django_db_blocker, request):
    """The shipped calendar and policy; transactional tests flush migration data."""
    if "db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("db")
    migration = importlib.import_module("tiski.sla.migrations.0002_default_calendar_and_policy")
    migration.create_defaults(apps, None)
