"""Small shared models."""

from __future__ import annotations

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _


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


def logo_path(instance: DeskSettings, filename: str) -> str:
    # A new name per upload, so browsers never show a cached old logo.
    import uuid
    from pathlib import PurePath

    return f"desk/logo-{uuid.uuid4().hex[:12]}{PurePath(filename).suffix.lower()[:8]}"


class DeskSettings(models.Model):
    """The desk's own settings: one row, edited in Settings → General.

    Empty fields fall back to the server's settings (TIME_ZONE,
    LANGUAGE_CODE), so an install works before anyone opens Settings.
    Lower layers read it through `tiski.core.desk`.
    """

    name = models.CharField(_("desk name"), max_length=100, blank=True)
    default_language = models.CharField(
        _("default language"), max_length=8, blank=True, choices=settings.LANGUAGES
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    logo = models.FileField(_("logo"), upload_to=logo_path, blank=True, max_length=200)
    logo_content_type = models.CharField(max_length=40, blank=True, editable=False)
    # Admins may hide the first-hour checklist before every step is done.
    onboarding_dismissed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("desk settings")
        verbose_name_plural = _("desk settings")

    def __str__(self) -> str:
        return self.name or "Tiski"

    @classmethod
    def load(cls) -> DeskSettings:
        """The one row (created on first use; pk 1 keeps it single)."""
        row, _created = cls.objects.get_or_create(pk=1)
        return row
