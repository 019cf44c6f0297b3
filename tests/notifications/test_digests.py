"""Notification digests: an agent on a digest gets one mail of the unread notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from tiski.desk.tasks import notification_digests
from tiski.notifications import digests, services
from tiski.notifications.models import Delivery, Kind, MailFrequency, MailSchedule, mark_read

START = datetime(2026, 3, 10, 7, 30, tzinfo=UTC)  # 09:30 in Helsinki


@pytest.fixture
def desk(make_team, make_user, make_ticket, mailbox):
    tuki = make_team("Tuki")
    aino = make_user(name="Aino Agentti", email="aino@yritys.fi", teams=(tuki,), language="en")
    bertta = make_user(name="Bertta Berg", email="bertta@yritys.fi", teams=(tuki,), language="en")
    ticket = make_ticket(subject="Lasku puuttuu", team=tuki)
    other = make_ticket(subject="Tilaus myöhässä", team=tuki)
    services.save_settings(bertta, {Kind.MENTION: Delivery.EMAIL})
    return {"aino": aino, "bertta": bertta, "ticket": ticket, "other": other}


def _mention(desk, ticket, capture) -> None:
    client = Client()
    client.force_login(desk["aino"])
    with capture(execute=True):
        client.post(
            reverse("desk:ticket-reply", args=[ticket.number]),
            {"kind": "internal", "text": "@bertta katso tämä"},
        )


def _digest_mails() -> list:
    return [m for m in mail.outbox if "new notification" in m.subject]


def test_hourly_digest_gathers_the_unread_notices(desk, django_capture_on_commit_callbacks):
    with time_machine.travel(START, tick=False):
        client = Client()
        client.force_login(desk["bertta"])
        response = client.post(
            reverse("desk:preferences"),
            {"language": "en", "time_zone": "", "mail-frequency": MailFrequency.HOURLY},
        )
        assert response.status_code == 302
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        _mention(desk, desk["ticket"], django_capture_on_commit_callbacks)
        _mention(desk, desk["other"], django_capture_on_commit_callbacks)
        _mention(desk, desk["other"], django_capture_on_commit_callbacks)
        # No mail per notice for an agent on a digest.
        assert mail.outbox == []
    seen = desk["bertta"].notifications.order_by("created_at", "pk").last()
    mark_read(desk["bertta"], [seen.pk])
    with time_machine.travel(START + timedelta(minutes=50), tick=False):
        assert notification_digests() == 0  # not due yet
    with time_machine.travel(START + timedelta(minutes=61), tick=False):
        assert notification_digests() == 1
        assert notification_digests() == 0  # the same digest never twice
    (digest,) = _digest_mails()
    assert digest.to == ["bertta@yritys.fi"]
    assert "2 new notifications" in digest.subject
    # The two unread notices, each with its link; the one read in the app is left out.
    assert digest.body.count("mentioned you") == 2
    assert f"#{desk['ticket'].number}" in digest.body and f"#{desk['other'].number}" in digest.body
    assert reverse("desk:notification-open", args=[seen.pk]) not in digest.body
    assert digest.extra_headers["Auto-Submitted"] == "auto-generated"
    # An hour with nothing new sends nothing.
    with time_machine.travel(START + timedelta(minutes=125), tick=False):
        assert notification_digests() == 0
    assert len(_digest_mails()) == 1


def test_daily_digest_goes_at_the_chosen_local_hour(desk, django_capture_on_commit_callbacks):
    with time_machine.travel(START, tick=False):
        digests.save_schedule(desk["bertta"], MailFrequency.DAILY, 8)
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        _mention(desk, desk["ticket"], django_capture_on_commit_callbacks)
    schedule = MailSchedule.objects.get(user=desk["bertta"])
    # 08:00 in Helsinki the next morning is 06:00 UTC (winter time).
    assert digests.next_due(schedule) == datetime(2026, 3, 11, 6, 0, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 3, 11, 5, 59, tzinfo=UTC), tick=False):
        assert notification_digests() == 0
    with time_machine.travel(datetime(2026, 3, 11, 6, 1, tzinfo=UTC), tick=False):
        assert notification_digests() == 1
    (digest,) = _digest_mails()
    assert "1 new notification" in digest.subject and "one digest a day" in digest.body


def test_a_failed_digest_is_tried_again_and_does_not_stop_the_others(
    desk, make_user, django_capture_on_commit_callbacks, monkeypatch
):
    cecilia = make_user(
        name="Cecilia Berg", email="cecilia@yritys.fi", teams=(desk["ticket"].team,), language="en"
    )
    services.save_settings(cecilia, {Kind.MENTION: Delivery.EMAIL})
    with time_machine.travel(START, tick=False):
        digests.save_schedule(desk["bertta"], MailFrequency.HOURLY)
        digests.save_schedule(cecilia, MailFrequency.HOURLY)
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        client = Client()
        client.force_login(desk["aino"])
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("desk:ticket-reply", args=[desk["ticket"].number]),
                {"kind": "internal", "text": "@bertta @cecilia katsokaa"},
            )

    from tiski.desk import digest_mail

    real = digest_mail.send_digest

    def flaky(schedule, notices):
        if schedule.user == desk["bertta"]:
            raise OSError("SMTP down")
        real(schedule, notices)

    monkeypatch.setattr(digest_mail, "send_digest", flaky)
    with time_machine.travel(START + timedelta(minutes=61), tick=False):
        assert notification_digests() == 1
    assert [m.to for m in _digest_mails()] == [["cecilia@yritys.fi"]]
    monkeypatch.setattr(digest_mail, "send_digest", real)
    with time_machine.travel(START + timedelta(minutes=66), tick=False):
        assert notification_digests() == 1
    assert [m.to for m in _digest_mails()][-1] == ["bertta@yritys.fi"]


def test_changing_back_to_immediate_mails_each_notice_again(
    desk, django_capture_on_commit_callbacks
):
    digests.save_schedule(desk["bertta"], MailFrequency.HOURLY)
    digests.save_schedule(desk["bertta"], MailFrequency.IMMEDIATE)
    _mention(desk, desk["ticket"], django_capture_on_commit_callbacks)
    (sent,) = mail.outbox
    assert sent.to == ["bertta@yritys.fi"] and "mentioned you" in sent.body
