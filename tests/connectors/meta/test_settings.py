"""Settings → Messenger and Instagram: add with secrets hidden, edit, webhook shown, delete."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiski.connectors.meta.models import MetaAccount, MetaKind
from tiski.setup.models import SettingChange

pytestmark = pytest.mark.django_db(transaction=True)


NEW = {"kind": "messenger", "name": "Papumylly", "account_id": "104512345678901",
       "access_token": "EAAJ-secret", "app_secret": "app-secret-1", "verify_token": "vt-1",
       "active": "on"}  # fmt: skip


def test_add_edit_and_delete_a_page(admin_client):
    assert admin_client.get(reverse("setup:meta-accounts")).status_code == 200
    response = admin_client.post(reverse("setup:meta-account-new"), NEW)
    assert response.status_code == 302, response.content
    account = MetaAccount.objects.get()
    assert account.kind == MetaKind.MESSENGER and account.app_secret == "app-secret-1"
    edit = reverse("setup:meta-account-edit", args=[account.pk])
    page = admin_client.get(edit).content
    assert b"EAAJ-secret" not in page and b"app-secret-1" not in page
    assert f"/meta/{account.pk}/webhook/".encode() in page
    listing = admin_client.get(reverse("setup:meta-accounts")).content.decode()
    assert "Papumylly" in listing and "104512345678901" in listing

    # Secrets left empty are kept; the log masks them.
    changed = {**NEW, "name": "Papumylly Oy", "access_token": "", "app_secret": ""}
    assert admin_client.post(edit, changed).status_code == 302
    account.refresh_from_db()
    assert account.name == "Papumylly Oy" and account.access_token == "EAAJ-secret"
    assert admin_client.post(edit, {**changed, "access_token": "EAAJ-new"}).status_code == 302
    log = SettingChange.objects.filter(section="meta_accounts").order_by("-id").first()
    assert "EAAJ-new" not in str(log.changes)

    admin_client.post(reverse("setup:meta-account-delete", args=[account.pk]))
    assert not MetaAccount.objects.exists()


def test_bad_input_is_refused_with_a_reason(admin_client):
    bad = admin_client.post(reverse("setup:meta-account-new"), {**NEW, "account_id": "abc"})
    assert bad.status_code == 400
    assert "digits" in bad.content.decode() or "vain numeroita" in bad.content.decode()
    missing = admin_client.post(reverse("setup:meta-account-new"), {**NEW, "app_secret": ""})
    assert missing.status_code == 400
    admin_client.post(reverse("setup:meta-account-new"), NEW)
    twice = admin_client.post(reverse("setup:meta-account-new"), NEW)
    assert twice.status_code == 400 and MetaAccount.objects.count() == 1
    # The same id as an Instagram account is another inbox.
    ig = admin_client.post(reverse("setup:meta-account-new"), {**NEW, "kind": "instagram"})
    assert ig.status_code == 302 and MetaAccount.objects.count() == 2
