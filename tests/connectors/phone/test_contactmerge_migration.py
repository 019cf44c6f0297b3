"""Moving ContactMerge from the phone app to customers keeps the rows that exist."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("phone", "0002_callback_sla"), ("customers", "0002_identity_undeliverable")]


@pytest.mark.django_db(transaction=True)
def test_existing_merge_records_survive_the_move():
    """A record written by the phone app's model is the same row, id and all, after migrating."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    contact = old.get_model("customers", "Contact").objects.create(name="Liisa Lahtinen")
    row = old.get_model("phone", "ContactMerge").objects.create(
        target_id=contact.pk,
        source_id=4242,
        source_snapshot={"name": "Liisa L."},
        moved={"identities": [7], "tickets": [], "ccs": []},
    )
    content_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="phone", model="contactmerge"
    )[0]

    executor = MigrationExecutor(connection)
    executor.migrate(leaves)

    from django.contrib.contenttypes.models import ContentType

    from tiski.customers.models import Contact, ContactMerge

    ContentType.objects.clear_cache()
    kept = ContactMerge.objects.get(pk=row.pk)
    assert kept.target == Contact.objects.get(pk=contact.pk)
    assert (kept.source_id, kept.source_snapshot, kept.moved["identities"]) == (
        4242,
        {"name": "Liisa L."},
        [7],
    )
    # Admin permissions and log entries follow the model to its new app.
    assert ContentType.objects.get(pk=content_type.pk).app_label == "customers"
    assert ContentType.objects.get_for_model(ContactMerge).pk == content_type.pk
    # New rows continue after the old ones.
    newer = ContactMerge.objects.create(target=kept.target, source_id=1)
    assert newer.pk > row.pk
