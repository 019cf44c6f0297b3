"""Writing many rows, or many rows' changes, in one statement.

Django's ``bulk_update`` builds a ``CASE WHEN id = ... THEN ...`` expression
per field and row, which costs more Python time than the rows it saves
(seconds for a few hundred rows). ``update_rows`` sends the new values as a
``VALUES`` list joined on the primary key instead, which both PostgreSQL
and SQLite (3.33+) run as one plain UPDATE. ``insert_rows`` writes new rows
from plain values, without a model instance per row.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.options import Options

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
        if vendor == "postgresql":
            # One array per column, as insert_rows sends them: a handful of
            # parameters instead of one per value (psycopg splits and quotes
            # each in Python), and the arrays' types are the columns'.
            names = ["id"] + [f"c{i}" for i in range(len(columns))]
            arrays = ", ".join(f"%s::{_array_type(field)}" for field in [pk, *columns])
            assignments = ", ".join(
                f"{quote(field.column)} = v.c{i}" for i, field in enumerate(columns)
            )
            sql = (
                f"UPDATE {table} SET {assignments} FROM UNNEST({arrays}) "
                f"AS v({', '.join(names)}) WHERE {table}.{quote(pk.column)} = v.id"
            )
            params = [
                _column(field, [getattr(row, field.attname) for row in chunk])
                for field in [pk, *columns]
            ]
        else:
            params = []
            for row in chunk:
                params.append(pk.get_db_prep_save(row.pk, connection))
                for field in columns:
                    params.append(field.get_db_prep_save(getattr(row, field.attname), connection))
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
    unique_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
) -> list[Any] | None:
    """Insert new rows of ``model`` given as field values, without model instances.

    ``rows`` map field names (or attnames, ``ticket_id``) to values; a field
    a row leaves out gets its default, as a new instance would. On
    PostgreSQL the values go as one array per column (``INSERT ... SELECT *
    FROM UNNEST(...)``, as ``bulk_create`` does) without building and
    preparing an instance per row, which was most of the cost of a
    time-rule pass's firing log; elsewhere ``bulk_create``. ``returning``:
    the new ids, in the order of ``rows`` (as ``bulk_create`` relies on the
    database to return them), else None. ``unique_fields`` and
    ``update_fields``: a row whose unique fields match a stored row updates
    these fields of it instead (as ``bulk_create(update_conflicts=True)``).
    """
    if not rows:
        return [] if returning else None
    meta = model._meta
    fields = _written_fields(meta)
    if connection.vendor != "postgresql":
        made = [model(**_values_for(fields, row)) for row in rows]
        upsert: dict[str, Any] = {}
        if update_fields:
            upsert = dict(
                update_conflicts=True, unique_fields=unique_fields, update_fields=update_fields
            )
        model.objects.bulk_create(made, batch_size=batch_size, **upsert)
        return [instance.pk for instance in made] if returning else None
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    arrays = ", ".join(f"%s::{_array_type(field)}" for field in fields)
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT * FROM UNNEST({arrays})"
    if update_fields:
        unique = ", ".join(quote(meta.get_field(name).column) for name in unique_fields)
        assignments = ", ".join(
            f"{column} = EXCLUDED.{column}"
            for column in (quote(meta.get_field(name).column) for name in update_fields)
        )
        sql += f" ON CONFLICT ({unique}) DO UPDATE SET {assignments}"
    if returning:
        sql += f" RETURNING {quote(meta.pk.column)}"
    ids: list[Any] = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        params = [_column(field, [_value_of(field, row) for row in chunk]) for field in fields]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids if returning else None


def insert_instances(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Insert new, unsaved instances of ``model`` and give them their ids.

    The rows ``bulk_create`` would write, but on PostgreSQL through
    `insert_rows`: each field's value as ``pre_save`` (the public hook a
    field computes its stored value with: a file's name, an ``auto_now``
    stamp) hands it, not Django's per-row insert preparation, and long text
    sent as one array literal per column. A batch of imported mail spent
    more of its time in those two than in anything it decides. Elsewhere
    ``bulk_create``, which sets the ids where the database returns them.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(rows)
        return
    fields = _written_fields(model._meta)
    # Most fields store what the instance holds; only a few compute it.
    computed = [field for field in fields if type(field).pre_save is not models.Field.pre_save]
    related = [field for field in fields if field.many_to_one]
    values = []
    for row in rows:
        found = {field.attname: getattr(row, field.attname) for field in fields}
        for field in computed:
            found[field.attname] = field.pre_save(row, True)
        for field in related:
            if found[field.attname] is None:
                # A row assigned before it was saved (bulk_create checks the same).
                target = getattr(row, field.name)
                if target is not None:
                    if target.pk is None:
                        raise ValueError(f"{field.name} is not saved yet")
                    found[field.attname] = target.pk
        values.append(found)
    ids = insert_rows(model, values, returning=True) or []
    if len(ids) != len(rows):
        raise RuntimeError("the database returned another number of ids than rows inserted")
    alias = connection.alias
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        # As bulk_create leaves them: saved rows of this database.
        row._state.adding = False
        row._state.db = alias


def _written_fields(meta: Options) -> list[models.Field]:
    """The columns an INSERT names: all but a primary key the database numbers
    (a key that is a field of its own, a ticket's one-to-one, is written)."""
    return [
        field
        for field in meta.concrete_fields
        if not (field.primary_key and field.db_returning)
    ]


def _array_type(field: models.Field) -> str:
    """The column's type as an array, without a length (``varchar[]``)."""
    return f"{field.db_type(connection).split('(')[0]}[]"


def _column(field: models.Field, values: list[Any]) -> Any:
    """One column's values as the array parameter for ``UNNEST``."""
    if isinstance(field, models.JSONField):
        # Text cast to jsonb; PostgreSQL stores it parsed, as Django's would be.
        return _array_literal(
            [None if v is None else json.dumps(v, cls=field.encoder) for v in values]
        )
    return _array_literal(_prepared(field, values))


# Array elements written as text here; anything else (a Decimal, a UUID, a
# float) leaves its column to psycopg.
_LITERAL_TYPES = frozenset({str, int, bool, datetime.datetime, datetime.date, type(None)})


def _array_literal(values: list[Any]) -> Any:
    """A column as one PostgreSQL array literal, else the list as it is.

    psycopg dumps a list element by element in Python, and quotes every
    string with a regular expression substitution per quote or backslash
    (HTML mail is full of them): building the literal with ``str.replace``
    and ``isoformat`` is several times faster, and PostgreSQL reads the
    same array from it (each element is cast to the column's type, as
    psycopg's text would be). The literal is then one string parameter,
    escaped as any other.
    """
    if not values or not all(type(value) in _LITERAL_TYPES for value in values):
        return values
    return "{" + ",".join(map(_element, values)) + "}"


def _element(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "NULL"
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    # A date or a datetime (with its offset): ISO 8601, as psycopg writes them.
    return '"' + value.isoformat() + '"'


# Exactly these classes (a subclass may prepare its values).
_PLAIN_TEXT = frozenset({models.CharField, models.TextField})


def _prepared(field: models.Field, values: list[Any]) -> list[Any]:
    """``get_db_prep_save`` of each value, once per distinct value: a batch's
    rows share most of theirs (the moment, the rule), and preparing a
    datetime is not cheap."""
    if type(field) in _PLAIN_TEXT and all(v is None or type(v) is str for v in values):
        # Django's own text fields store a string as it is: no call per
        # value (and no hash of each message's whole text to find repeats).
        return values
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
