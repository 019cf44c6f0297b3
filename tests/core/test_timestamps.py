"""Timestamps read from PostgreSQL with the C parser (tiski/core/timestamps.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DataError, connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the loader is PostgreSQL's"
)


def read(sql: str, *params):  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_read_as_django_reads_them(db):
    loader = connection.connection.adapters.get_loader(1184, 0)  # timestamptz, text
    assert loader.__name__ == "IsoTzLoader"
    written = dt.datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=dt.UTC)
    value = read("SELECT %s::timestamptz", written)
    assert value == written
    assert value.tzinfo is connection.timezone  # Django's own zone object
    # Another session zone: the same instant, in Django's zone.
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Helsinki'")
        cursor.execute("SELECT %s::timestamptz", [written])
        local = cursor.fetchone()[0]
        cursor.execute("SET TIME ZONE 'UTC'")
    assert local == written and local.tzinfo is connection.timezone
    assert read("SELECT '2026-12-06 16:09:06+00'::timestamptz") == dt.datetime(
        2026, 12, 6, 16, 9, 6, tzinfo=dt.UTC
    )


def test_what_the_iso_form_does_not_cover_is_read_as_before(db):
    """A year before 1 is not an ISO date: Django's loader says what it says."""
    with pytest.raises(DataError):
        read("SELECT '0001-01-01 00:00:00+00 BC'::timestamptz")
    with pytest.raises(DataError):
        read("SELECT 'infinity'::timestamptz")
    far = read("SELECT '9999-12-31 23:59:59.999999+00'::timestamptz")
    assert far == dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
