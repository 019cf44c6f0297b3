"""Deleting ready answers, SLA policies and calendars from Settings."""

from __future__ import annotations

from django.urls import reverse

from tiski.macros.models import Macro
from tiski.sla.models import Calendar, SlaPolicy

from .conftest import last_change


def test_agent_cannot_delete(agent_client, db):
    macro = Macro.objects.create(name="Kiitos", shortcut="kiitos", text_fi="Kiitos!")
    response = agent_client.post(reverse("setup:macro-delete", args=[macro.pk]))
    assert response.status_code == 403
    assert Macro.objects.filter(pk=macro.pk).exists()


def test_ready_answer_is_deleted_after_confirming_and_logged(admin_client, admin, db):
    macro = Macro.objects.create(name="Kiitos", shortcut="kiitos", text_fi="Kiitos!")
    url = reverse("setup:macro-delete", args=[macro.pk])
    page = admin_client.get(url).content.decode()
    assert "Delete the ready answer “Kiitos”?" in page
    assert Macro.objects.filter(pk=macro.pk).exists()  # asking deletes nothing
    response = admin_client.post(url)
    assert response["Location"] == reverse("setup:macros")
    assert not Macro.objects.filter(pk=macro.pk).exists()
    change = last_change("macros")
    assert (change.action, change.object_label, change.object_id, change.actor) == (
        "deleted",
        "Kiitos",
        str(macro.pk),
        admin,
    )


def test_calendar_in_use_names_the_policies_instead_of_failing(admin_client, db):
    calendar = Calendar.objects.create(name="Arki", weekly_hours={"0": "08:00-16:00"})
    policy = SlaPolicy.objects.create(name="Kiireelliset", calendar=calendar, targets={})
    url = reverse("setup:calendar-delete", args=[calendar.pk])
    response = admin_client.post(url)
    assert response.status_code == 409
    assert "Kiireelliset" in response.content.decode()
    assert Calendar.objects.filter(pk=calendar.pk).exists()
    assert last_change("calendars") is None
    admin_client.post(reverse("setup:sla-policy-delete", args=[policy.pk]))
    assert last_change("sla_policies").action == "deleted"
    admin_client.post(url)
    assert not Calendar.objects.filter(pk=calendar.pk).exists()
    assert last_change("calendars").object_label == "Arki"
