"""Small shared models."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _


class Sequence(models.Model):
    """A named counter for human-friendly numbers (ticket #1234).

    Two tickets created at once never share a number. How the number is
    taken depends on the database, because a new ticket must not wait for
    another one's transaction:

    - PostgreSQL: each name has a database sequence (`tiski_number_<name>`,
      made from this table's value by migration core.0003, or on first use
      for a name that came later). ``nextval`` neither waits
      for nor holds a lock until commit, so tickets opened at the same
      moment (a burst of chats) do not queue one after another. A
      rolled-back ticket leaves a gap in the numbers.
    - SQLite: the row here is updated in the caller's transaction (SQLite
      has one writer at a time anyway), so a rolled-back ticket gives its
      number back.

    Read the counter through `current`, never through ``value``: on
    PostgreSQL the row only seeds the database sequence.
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
        """The next ``count`` numbers, ascending (a batch of new tickets).

        On PostgreSQL they need not be contiguous: another connection may
        take numbers in between.
        """
        if count < 1:
            return []
        if connection.vendor == "postgresql":
            return _pg_reserve(cls, name, count, start)
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
        if connection.vendor == "postgresql":
            _pg_ensure_at_least(cls, name, value)
            return
        with transaction.atomic():
            cls.objects.get_or_create(name=name, defaults={"value": value})
            cls.objects.filter(name=name, value__lt=value).update(value=value)

    @classmethod
    def current(cls, name: str, start: int = 1000) -> int:
        """The last number handed out (``start`` before the first one)."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT to_regclass(%s)", [_pg_sequence_name(name)])
                if cursor.fetchone()[0] is not None:
                    cursor.execute(f"SELECT last_value, is_called FROM {_pg_sequence_name(name)}")
                    last, called = cursor.fetchone()
                    return int(last) if called else int(last) - 1
        stored = cls.objects.filter(name=name).values_list("value", flat=True).first()
        return start if stored is None else int(stored)


# --- PostgreSQL: one database sequence per name ------------------------------

_SEQUENCE_NAME = re.compile(r"[a-z0-9_]{1,40}")


def _pg_sequence_name(name: str) -> str:
    # Interpolated into SQL (a sequence name cannot be a parameter in DDL):
    # only the few plain names the code itself uses are accepted.
    if not _SEQUENCE_NAME.fullmatch(name):
        raise ValueError(f"not a sequence name: {name!r}")
    return f"tiski_number_{name}"


def _pg_reserve(model: type[Sequence], name: str, count: int, start: int) -> list[int]:
    seq = _pg_sequence_name(name)
    with connection.cursor() as cursor:
        for _attempt in range(2):
            # nextval(NULL) is NULL: a missing sequence costs no error (which
            # would abort the caller's transaction) and no extra round trip.
            cursor.execute(
                "SELECT nextval(to_regclass(%s)) FROM generate_series(1, %s)", [seq, count]
            )
            numbers = [row[0] for row in cursor.fetchall()]
            if numbers and numbers[0] is not None:
                return sorted(int(n) for n in numbers)
            _pg_create(model, name, start)
    raise RuntimeError(f"could not create the number sequence {seq}")


def _pg_create(model: type[Sequence], name: str, start: int) -> None:
    """Make the database sequence, continuing from the row's value if there is one."""
    stored = model.objects.filter(name=name).values_list("value", flat=True).first()
    last = max(start, stored or 0)
    try:
        # A savepoint: two connections creating it at once may collide, and
        # the loser must not abort its caller's transaction.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE SEQUENCE IF NOT EXISTS {_pg_sequence_name(name)} "
                f"AS bigint MINVALUE 1 START WITH {int(last) + 1}"
            )
    except DatabaseError:
        pass  # made by the other connection: the caller's retry uses it


def _pg_ensure_at_least(model: type[Sequence], name: str, value: int) -> None:
    seq = _pg_sequence_name(name)
    if model.current(name, start=0) >= value:
        return  # the common case for an import: no lock at all
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [seq])
        if cursor.fetchone()[0] is None:
            _pg_create(model, name, value)
        # setval after a read could move the sequence back past numbers
        # another connection takes in between. ALTER SEQUENCE locks out
        # nextval until this transaction ends (a no-op option, for the
        # lock only). Only explicit numbers get here (imports, generated
        # data), and only when they are past the counter.
        cursor.execute(f"ALTER SEQUENCE {seq} NO CYCLE")
        cursor.execute(f"SELECT last_value, is_called FROM {seq}")
        last, called = cursor.fetchone()
        if (int(last) if called else int(last) - 1) < value:
            cursor.execute("SELECT setval(%s, %s, true)", [seq, value])


def logo_path(instance: DeskSettings, filename: str) -> str:
    # A new name per upload, so browsers never show a cached old logo.
    import uuid
    from pathlib import PurePath

    return f"desk/logo-{uuid.uuid4().hex[:12]}{PurePath(filename).suffix.lower()[:8]}"


def new_lists_version() -> str:
    return secrets.token_hex(8)


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
    # Changes whenever a list the web processes keep changes (core/config_cache.py).
    lists_version = models.CharField(max_length=32, default=new_lists_version, editable=False)

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
