"""The data migration rewrites older phone identities with the historical models."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("phone", "0003_contactmerge_to_customers"),
    ("customers", "0004_contact_name_source"),
    ("tickets", "0008_message_thread_index_root"),
]


@pytest.mark.django_db(transaction=True)
def test_migration_rewrites_numbers_and_merges_through_an_undoable_record():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    contact_model = old.get_model("customers", "Contact")
    identity_model = old.get_model("customers", "Identity")
    first = contact_model.objects.create(name="Liisa Lahtinen")
    second = contact_model.objects.create(name="")
    # As the old normaliser stored them: digits, a "+" kept only when typed.
    identity_model.objects.create(contact=first, kind="phone", value="00358404445555")
    identity_model.objects.create(contact=second, kind="phone", value="0404445555")
    identity_model.objects.create(contact=second, kind="email", value="liisa@koti.fi")

    executor = MigrationExecutor(connection)
    executor.migrate(leaves)

    from tiski.customers.merge import undo_merge
    from tiski.customers.models import Contact, ContactMerge, Identity

    kept = Contact.objects.get(pk=first.pk)
    assert kept.phones == ["+358404445555"] and kept.emails == ["liisa@koti.fi"]
    assert not Contact.objects.filter(pk=second.pk).exists()
    record = ContactMerge.objects.get()
    assert (record.target_id, record.source_id, record.actor) == (first.pk, second.pk, None)

    back = undo_merge(record, actor=None)
    assert back.pk == second.pk and back.emails == ["liisa@koti.fi"]
    assert Identity.objects.filter(kind="phone").count() == 1
