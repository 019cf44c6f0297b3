"""Small shared models."""

from __future__ import annotations

from django.db import connection, models, transaction
from django.db.models import F


class Sequence(models.Model):
    """A named counter for human-friendly numbers (ticket #1234).

    Numbers come from a row updated inside the caller's transaction, so two
    tickets created at once never share a number and a rolled-back ticket
    gives its number back.
    """

    name = models.CharField(max_length=50, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"

    @classmethod
    def next_value(cls, name: str, start: int = 1000) -> int:
        return cls.reserve(name, 1, start=start)[0]

    @classmethod
    def reserve(cls, name: str, count: int, start: int = 1000) -> list[int]:
        """The next ``count`` numbers, in order (a batch of new tickets)."""
        if count < 1:
            return []
        # One statement in the common case: the increment and the read happen
        # together, under the row lock.
        if connection.features.can_return_columns_from_insert:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {cls._meta.db_table} SET value = value + %s WHERE name = %s "
                    "RETURNING value",
                    [count, name],
                )
                row = cursor.fetchone()
            if row is not None:
                return list(range(int(row[0]) - count + 1, int(row[0]) + 1))
        with transaction.atomic():
            cls.objects.get_or_create(name=name, defaults={"value": start})
            cls.objects.filter(name=name).update(value=F("value") + count)
            last = cls.objects.values_list("value", flat=True).get(name=name)
        return list(range(last - count + 1, last + 1))

    @classmethod
    def ensure_at_least(cls, name: str, value: int) -> None:
        """Move the counter past numbers that were set explicitly (imports)."""
        with transaction.atomic():
            cls.objects.get_or_create(name=name, defaults={"value": value})
            cls.objects.filter(name=name, value__lt=value).update(value=value)
