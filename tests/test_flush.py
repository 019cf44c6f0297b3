"""The flush after a transactional test (tests/conftest.py keeps two tables through it)."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command


def test_the_flush_empties_every_table_but_the_content_types(transactional_db, make_ticket):
    make_ticket(subject="Jää kiinni?")
    types, permissions = ContentType.objects.count(), Permission.objects.count()
    assert types and permissions
    # As TransactionTestCase flushes after each test.
    call_command("flush", verbosity=0, interactive=False, reset_sequences=False)
    left = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.managed
        and model not in (ContentType, Permission)
        and model.objects.exists()
    ]
    assert left == []
    assert (ContentType.objects.count(), Permission.objects.count()) == (types, permissions)
