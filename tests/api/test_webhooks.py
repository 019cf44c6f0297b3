"""Webhooks out, to a real HTTP server on loopback: signed, retried, never sent twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from tiski.api.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from tiski.api.tasks import sweep_webhooks
from tiski.api.webhooks import delivery as deliveries
from tiski.api.webhooks import signing
from tiski.api.webhooks.outbound import HttpFailure, _post
from tiski.tickets import actions
from tiski.tickets.models import Via

SECRET = "whsec_test-secret"


class Receiver:
    """A webhook receiver: answers with the next queued status, records what came."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"busy")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/tiski"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def verified_events(self) -> list[dict]:
        """Each request's payload, after checking its signature as a receiver must."""
        events = []
        for request in self.requests:
            headers = request["headers"]
            timestamp = int(headers[signing.TIMESTAMP_HEADER])
            assert signing.verify(
                SECRET, timestamp, request["body"], headers[signing.SIGNATURE_HEADER]
            )
            payload = json.loads(request["body"])
            assert headers[signing.EVENT_ID_HEADER] == payload["id"]
            events.append(payload)
        return events


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.TISKI_HTTP_ALLOW_PRIVATE = True


def subscribe(url: str, *events: str) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        name="CRM", url=url, events=list(events), secret=SECRET
    )


def test_ticket_events_are_delivered_signed(
    receiver, make_ticket, admin_user, django_capture_on_commit_callbacks
):
    subscribe(
        receiver.url, "ticket.created", "ticket.status_changed", "message.added", "ticket.updated"
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(subject="Tilaus", text="Hei")
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(ticket, actor=admin_user, via=Via.AGENT, status="pending")
    events = receiver.verified_events()
    names = [e["event"] for e in events]
    assert names == ["ticket.created", "message.added", "ticket.updated", "ticket.status_changed"]
    created = events[0]
    assert created["data"]["ticket"]["number"] == ticket.number
    assert created["data"]["ticket"]["requester"]["identities"][0]["kind"] == "email"
    assert events[1]["data"]["message"]["text"] == "Hei"
    assert events[3]["data"]["changes"]["status"] == {"old": "new", "new": "pending"}
    assert len({e["id"] for e in events}) == 4
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 4


def test_unsubscribed_events_write_nothing(
    receiver, make_ticket, django_capture_on_commit_callbacks
):
    subscribe(receiver.url, "csat.received")
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket()
    assert not WebhookDelivery.objects.exists() and receiver.requests == []


def test_retry_after_503_with_the_same_event_id(
    receiver, make_ticket, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver.url, "ticket.created")
    receiver.statuses = [503]
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket()
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.response_status) == (DeliveryStatus.PENDING, 1, 503)
    assert row.next_attempt_at > timezone.now()
    # Not yet due: the sweep leaves it alone.
    assert sweep_webhooks() == 0
    assert len(receiver.requests) == 1
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        assert sweep_webhooks() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status) == (DeliveryStatus.DELIVERED, 2, 200)
    first, second = receiver.verified_events()
    assert first["id"] == second["id"] == str(row.event_id)
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0
    # Delivered: a second task for the same row sends nothing.
    assert deliveries.deliver(row.pk) is None
    assert len(receiver.requests) == 2


def test_repeated_failures_switch_the_webhook_off(
    receiver, make_ticket, settings, django_capture_on_commit_callbacks
):
    settings.TISKI_WEBHOOK_MAX_FAILURES = 2
    subscription = subscribe(receiver.url, "ticket.created")
    receiver.statuses = [500, 500, 500]
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket()
        make_ticket()
    subscription.refresh_from_db()
    assert not subscription.active
    assert "2" in subscription.disabled_reason
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket()
    assert WebhookDelivery.objects.count() == 2  # nothing new for a switched-off webhook


def test_private_addresses_refused_unless_allowed(receiver, settings):
    settings.TISKI_HTTP_ALLOW_PRIVATE = False
    with pytest.raises(HttpFailure, match="private"):
        _post(receiver.url, b"{}", {})
    assert receiver.requests == []
    with pytest.raises(HttpFailure):
        _post("file:///etc/passwd", b"{}", {})


def test_settings_pages(receiver, admin_user, make_ticket, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(admin_user)
    assert client.get("/settings/webhooks/").status_code == 200
    response = client.post(
        "/settings/webhooks/new/",
        {"name": "ERP", "url": receiver.url, "events": ["ticket.created"], "active": "on"},
    )
    assert response.status_code == 201
    subscription = WebhookSubscription.objects.get(name="ERP")
    # The secret is shown once, and stored encrypted (not as shown).
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in response.content.decode()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret FROM api_webhooksubscription WHERE id = %s", [subscription.pk]
        )
        (stored,) = cursor.fetchone()
    assert subscription.secret not in stored
    receiver.statuses = [503]
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket()
    row = WebhookDelivery.objects.get()
    log = client.get(f"/settings/webhooks/{subscription.pk}/log/")
    assert log.status_code == 200 and "503" in log.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        resent = client.post(f"/settings/webhooks/{subscription.pk}/log/{row.pk}/resend/")
    assert resent.status_code == 302
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED


def test_settings_are_for_admins(make_user):
    client = Client()
    client.force_login(make_user())
    assert client.get("/settings/webhooks/").status_code == 403


def test_contact_created_and_merged(
    receiver, admin_user, make_contact, django_capture_on_commit_callbacks
):
    from tiski.customers.merge import merge_contacts

    subscribe(receiver.url, "contact.created", "contact.merged")
    with django_capture_on_commit_callbacks(execute=True):
        kept = make_contact(email="pysyva@example.fi")
        duplicate = make_contact(email="kopio@example.fi")
    with django_capture_on_commit_callbacks(execute=True):
        merge_contacts(duplicate, kept, actor=admin_user)
    events = receiver.verified_events()
    assert [e["event"] for e in events] == ["contact.created", "contact.created", "contact.merged"]
    assert events[0]["data"]["contact"]["identities"][0]["value"] == "pysyva@example.fi"
    merged = events[2]["data"]
    assert merged["contact"]["id"] == kept.pk and merged["merged_from"] == duplicate.pk
    values = {i["value"] for i in merged["contact"]["identities"]}
    assert values == {"pysyva@example.fi", "kopio@example.fi"}


def test_which_events_a_change_means():
    """SLA, CSAT and call events come from the same ticket change as the rest."""
    from tiski.api.webhooks.events import events_of
    from tiski.tickets.changes import TicketChange

    change = TicketChange(
        ticket_id=1,
        via="channel",
        actor_id=None,
        messages=((7, "call"),),
        fields={"satisfaction": ("", "5")},
        sla_events=("sla_warning", "sla_breach"),
    )
    assert events_of(change, {7: "call"}) == [
        ("message.added", 7),
        ("call.logged", 7),
        ("csat.received", None),
        ("sla.warning", None),
        ("sla.breach", None),
    ]
    quiet = TicketChange(ticket_id=1, via="agent", actor_id=None, created=True)
    assert events_of(quiet, {}) == [("ticket.created", None)]
