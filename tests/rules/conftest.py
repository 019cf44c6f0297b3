from __future__ import annotations

import pytest

from tiski.rules import engine


@pytest.fixture(autouse=True)
def _rules_only(settings):
    """Only the rules engine hears ticket changes here (no pushes, SLA or search)."""
    settings.TISKI_TICKET_CHANGE_HANDLERS = ["tiski.rules.engine.on_ticket_change"]
    engine._compiled.clear()


@pytest.fixture(autouse=True)
def _without_shipped_triggers(request):
    """The rules tests make the triggers they need, in the order they need.

    Triggers other apps ship (the satisfaction survey's, see
    surveys/migrations/0003) are set aside; tests/surveys covers them.
    """
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction")):
        request.getfixturevalue("transactional_db")
    elif marker is not None or "db" in request.fixturenames:
        request.getfixturevalue("db")
    else:
        return
    from tiski.rules.models import Trigger

    Trigger.objects.all().delete()


@pytest.fixture
def no_shipped_time_rules(db):
    from tiski.rules.models import TimeRule

    TimeRule.objects.update(active=False)


class FakeOutbox:
    """Stands in for tiski.connectors.outbox.queue_email and records the calls;
    its `many` form for queue_automatic_emails records one call per mail."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return type("Queued", (), {"pk": len(self.calls), "status": "queued"})()

    def many(self, mails, **_kwargs):
        # The same keywords queue_email gets from send_automatic_mail.
        return [
            self(
                **{k: v for k, v in vars(mail).items() if k != "mailbox" or v is not None},
                automatic=True,
            )
            for mail in mails
        ]


@pytest.fixture
def outbox(monkeypatch):
    fake = FakeOutbox()
    monkeypatch.setattr("tiski.connectors.outbox.queue_email", fake)
    monkeypatch.setattr("tiski.connectors.outbox.queue_automatic_emails", fake.many)
    return fake
