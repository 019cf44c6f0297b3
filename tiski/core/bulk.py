"""Writing many rows, or many rows' changes, in one statement.

Django's ``bulk_update`` builds a ``CASE WHEN id = ... THEN ...`` expression
per field and row, which costs more Python time than the rows it saves
(seconds for a few hundred rows). ``update_rows`` sends the new values as a
``VALUES`` list joined on the primary key instead, which both PostgreSQL
and SQLite (3.33+) run as one plain UPDATE. ``insert_rows`` writes new rows
from plain values, without a model instance per row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, models

CHUNK = 500


def update_rows(
    model: type[models.Model], rows: Sequence[models.Model], fields: Sequence[str]
) -> None:
    """Save ``fields`` of ``rows`` (saved instances of ``model``) to the database."""
    if not rows or not fields:
        return
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite") or (
        vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 33)
    ):
        model.objects.bulk_update(rows, list(fields))
        return
    meta = model._meta
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        params: list = []
        for row in chunk:
            params.append(pk.get_db_prep_save(row.pk, connection))
            for field in columns:
                params.append(field.get_db_prep_save(getattr(row, field.attname), connection))
        if vendor == "postgresql":
            # VALUES columns have no declared type: cast each to its column's.
            casts = [f"CAST(%s AS {pk.db_type(connection)})"] + [
                f"CAST(%s AS {field.db_type(connection)})" for field in columns
            ]
            names = ["id"] + [f"c{i}" for i in range(len(columns))]
            values = ", ".join(f"({', '.join(casts)})" for _row in chunk)
            assignments = ", ".join(
                f"{quote(field.column)} = v.c{i}" for i, field in enumerate(columns)
            )
            sql = (
                f"UPDATE {table} SET {assignments} FROM (VALUES {values}) "
                f"AS v({', '.join(names)}) WHERE {table}.{quote(pk.column)} = v.id"
            )
        else:
            # SQLite names VALUES columns column1, column2, ...
            marks = ", ".join(["%s"] * (len(columns) + 1))
            values = ", ".join(f"({marks})" for _row in chunk)
            assignments = ", ".join(
                f"{quote(field.column)} = v.column{i + 2}" for i, field in enumerate(columns)
            )
            sql = (
                f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v "
                f"WHERE {table}.{quote(pk.column)} = v.column1"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def insert_rows(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    batch_size: int = 1000,
    returning: bool = False,
) -> list[Any]:
    """Insert new rows of ``model`` given as field values, without model instances.

    ``rows`` map field names (or attnames, ``ticket_id``) to values; a field
    a row leaves out gets its default, as a new instance would. The ids are
    not returned. On PostgreSQL the values go as one array per column
    (``INSERT ... SELECT * FROM UNNEST(...)``, as ``bulk_create`` does)
    without building and preparing an instance per row, which was most of
    the cost of a time-rule pass's firing log; elsewhere ``bulk_create``.

    ``returning``: return the new rows' ids in the order of ``rows`` (as
    `bulk_create` sets them: None where the database cannot say); else [].
    """
    if not rows:
        return []
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    if connection.vendor != "postgresql":
        made = model.objects.bulk_create(
            [model(**_values_for(fields, row)) for row in rows], batch_size=batch_size
        )
        return [row.pk for row in made] if returning else []
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    arrays = ", ".join(f"%s::{field.db_type(connection).split('(')[0]}[]" for field in fields)
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT * FROM UNNEST({arrays})"
    if returning:
        # In the order of the arrays, as bulk_create's own UNNEST insert relies on.
        sql += f" RETURNING {quote(meta.pk.column)}"
    ids: list[Any] = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        params = []
        for field in fields:
            values = [_value_of(field, row) for row in chunk]
            if isinstance(field, models.JSONField):
                # Text cast to jsonb; PostgreSQL stores it parsed, as Django's would be.
                values = [None if v is None else json.dumps(v, cls=field.encoder) for v in values]
            else:
                values = _prepared(field, values)
            params.append(values)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if returning:
                ids += [row[0] for row in cursor.fetchall()]
    return ids


def _prepared(field: models.Field, values: list[Any]) -> list[Any]:
    """``get_db_prep_save`` of each value, once per distinct value: a batch's
    rows share most of theirs (the moment, the rule), and preparing a
    datetime is not cheap."""
    done: dict[tuple[type, Any], Any] = {}
    out = []
    for value in values:
        key = (type(value), value)  # 1 and True prepare differently
        try:
            out.append(done[key])
        except KeyError:
            done[key] = field.get_db_prep_save(value, connection)
            out.append(done[key])
        except TypeError:  # unhashable: prepared on its own
            out.append(field.get_db_prep_save(value, connection))
    return out


def _value_of(field: models.Field, row: Mapping[str, Any]) -> Any:
    """The row's value of the field (by attname or name), else its default."""
    if field.attname in row:
        return row[field.attname]
    if field.name in row:
        value = row[field.name]
        return value.pk if isinstance(value, models.Model) else value
    return field.get_default()


def _values_for(fields: Sequence[models.Field], row: Mapping[str, Any]) -> dict[str, Any]:
    """Every field's value by attname (for a model instance)."""
    return {field.attname: _value_of(field, row) for field in fields}
