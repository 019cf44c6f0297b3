"""``field__in=[...]`` on PostgreSQL as one array: ``field = ANY(%s)``.

Django writes ``field IN (%s, %s, ...)``, a placeholder and a prepared
parameter per value. The bulk handlers (SLA clocks, report facts, search)
pass hundreds of ids at a time, and with psycopg's client-side binding a
statement text over 4 KB is never kept in its cache of parsed statements:
each such query was split into its parts again in Python, and Django built
and prepared every placeholder on its own (a sixth of a large import's
catch-up). One array keeps the statement short and the same for any number
of values. PostgreSQL plans ``IN (list)`` as ``= ANY(array)`` itself, so
the plan is the one it was.

Only lists of plain values on columns of the types below take this form;
a subquery, an expression among the values, a composite key or any other
type is written by Django as before, and so is every other database.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet, FieldError
from django.db.models import Field, lookups
from django.db.models.fields.related import ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.utils.datastructures import OrderedSet

# Types whose values psycopg writes as an array PostgreSQL compares with the
# column as it compares one value (integers of any width, text, UUIDs).
ARRAY_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "CharField",
        "TextField",
        "SlugField",
        "EmailField",
        "UUIDField",
    }
)


def _column_type(field: Field) -> str:
    """The type of the values the column holds (a foreign key's target's)."""
    try:
        while field.is_relation:
            field = field.target_field
    except FieldError:  # a relation over several columns
        return ""
    return field.get_internal_type()


class ArrayIn(lookups.In):
    """The PostgreSQL form of an ``in`` lookup; anything else as Django writes it."""

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        written = self._as_array(compiler, connection)
        return self.as_sql(compiler, connection) if written is None else written

    def _as_array(self, compiler: Any, connection: Any) -> tuple[str, list] | None:
        if not self.rhs_is_direct_value():
            return None
        field = getattr(self.lhs, "output_field", None)
        if not isinstance(field, Field):  # a composite key's columns
            return None
        if _column_type(field) not in ARRAY_TYPES:
            return None
        try:
            values = OrderedSet(self.rhs)
        except TypeError:  # unhashable values
            return None
        values.discard(None)  # NULL is never equal to anything
        if any(hasattr(value, "resolve_expression") for value in values):
            return None
        if not values:
            raise EmptyResultSet
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        array = [field.get_db_prep_value(value, connection, prepared=True) for value in values]
        return f"{lhs_sql} = ANY(%s)", [*lhs_params, array]


class ArrayRelatedIn(ArrayIn, RelatedIn):
    """A foreign key's ``in``: instances become their keys first (`RelatedIn`)."""


def register() -> None:
    Field.register_lookup(ArrayIn)
    ForeignObject.register_lookup(ArrayRelatedIn)
