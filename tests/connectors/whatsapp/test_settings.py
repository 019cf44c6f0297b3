"""Settings → WhatsApp numbers: add with secrets hidden, templates, delete."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiski.connectors.whatsapp.models import WhatsAppAccount, WhatsAppTemplate

pytestmark = pytest.mark.django_db(transaction=True)


def test_add_a_number_and_its_templates(admin_client):
    response = admin_client.post(
        reverse("setup:whatsapp-account-new"),
        {"name": "Tuki", "number": "045 123 0000", "phone_number_id": "10654035",
         "access_token": "EAAG-secret", "app_secret": "app-secret-1",
         "verify_token": "vt-1", "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content
    account = WhatsAppAccount.objects.get()
    assert account.number == "+358451230000" and account.app_secret == "app-secret-1"
    page = admin_client.get(reverse("setup:whatsapp-account-edit", args=[account.pk])).content
    assert b"EAAG-secret" not in page and b"app-secret-1" not in page
    assert f"/whatsapp/{account.pk}/webhook/".encode() in page

    new = reverse("setup:whatsapp-template-new", args=[account.pk])
    bad = admin_client.post(new, {"name": "x", "language": "fi", "body": "Hei {{2}}"})
    assert bad.status_code == 400
    admin_client.post(
        new,
        {"name": "tilaus_valmis", "language": "fi", "body": "Hei {{1}}, tilaus {{2}}.",
         "active": "on"},
    )  # fmt: skip
    template = WhatsAppTemplate.objects.get()
    assert template.variables == 2
    page = admin_client.get(reverse("setup:whatsapp-account-edit", args=[account.pk])).content
    assert b"tilaus_valmis" in page
    admin_client.post(reverse("setup:whatsapp-template-delete", args=[account.pk, template.pk]))
    assert not WhatsAppTemplate.objects.exists()
    admin_client.post(reverse("setup:whatsapp-account-delete", args=[account.pk]))
    assert not WhatsAppAccount.objects.exists()
