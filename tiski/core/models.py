"""Small shared models."""

from __future__ import annotations

from django.db import models, transaction
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
        with transaction.atomic():
            cls.objects.get_or_create(name=name, defaults={"value": start})
            cls.objects.filter(name=name).update(value=F("value") + 1)
            return cls.objects.values_list("value", flat=True).get(name=name)

    @classmethod
    def ensure_at_least(cls, name: str, value: int) -> None:
        """Move the counter past numbers that were set explicitly (imports)."""
        with transaction.atomic():
            cls.objects.get_or_create(name=name, defaults={"value": value})
            cls.objects.filter(name=name, value__lt=value).update(value=value)
