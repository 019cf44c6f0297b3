"""Channel secrets are encrypted at rest and can come from the environment."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from tiski.connectors.models import Mailbox
from tiski.core import secrets


def test_roundtrip_and_ciphertext_in_database(db):
    box = Mailbox.objects.create(address="tuki@yritys.fi", imap_password="salasana123")
    with connection.cursor() as cursor:
        cursor.execute("SELECT imap_password FROM comms_mailbox WHERE id = %s", [box.pk])
        stored = cursor.fetchone()[0]
    assert "salasana123" not in stored and stored.startswith("fernet:")
    box.refresh_from_db()
    assert box.imap_password == "salasana123"
    assert secrets.resolve(box.imap_password) == "salasana123"


def test_env_reference_is_stored_as_is(db, monkeypatch):
    monkeypatch.setenv("TUKI_IMAP_PASSWORD", "from-env")
    box = Mailbox.objects.create(address="tuki2@yritys.fi", imap_password="env:TUKI_IMAP_PASSWORD")
    with connection.cursor() as cursor:
        cursor.execute("SELECT imap_password FROM comms_mailbox WHERE id = %s", [box.pk])
        assert cursor.fetchone()[0] == "env:TUKI_IMAP_PASSWORD"
    box.refresh_from_db()
    assert secrets.resolve(box.imap_password) == "from-env"
    monkeypatch.delenv("TUKI_IMAP_PASSWORD")
    with pytest.raises(ImproperlyConfigured):
        secrets.resolve(box.imap_password)


def test_changed_key_gives_a_clear_error(settings):
    stored = secrets.encrypt("x")
    settings.SECRET_KEY = "another-key-entirely-" * 3
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        secrets.decrypt(stored)


def test_admin_never_shows_a_secret_and_keeps_it_when_left_empty(client, admin_user):
    from tests.conftest import PASSWORD

    box = Mailbox.objects.create(address="tuki3@yritys.fi", imap_password="hyvin-salainen")
    admin_user.is_superuser = True  # the Django admin is for superusers only
    admin_user.save(update_fields=["is_superuser"])
    client.login(username=admin_user.email, password=PASSWORD)
    url = f"/admin/comms/mailbox/{box.pk}/change/"
    page = client.get(url).content.decode()
    assert "hyvin-salainen" not in page
    data = {
        "address": box.address,
        "display_name": "Tuki",
        "active": "on",
        "thread_by_subject_days": 0,
        "max_message_bytes": box.max_message_bytes,
        "inbound_method": "imap",
        "imap_host": "imap.yritys.fi",
        "imap_port": 993,
        "imap_security": "tls",
        "imap_username": "tuki",
        "imap_password": "",
        "imap_folder": "INBOX",
        "outbound_method": "django",
        "smtp_port": 587,
        "smtp_security": "starttls",
        "auth_method": "password",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    box.refresh_from_db()
    assert box.imap_password == "hyvin-salainen" and box.imap_host == "imap.yritys.fi"
    client.post(url, {**data, "clear_secrets": ["imap_password"]})
    box.refresh_from_db()
    assert box.imap_password == ""
