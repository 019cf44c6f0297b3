from __future__ import annotations

import pytest

from tiski.rules import engine


@pytest.fixture(autouse=True)
def _rules_only(settings):
    """Only the rules engine hears ticket changes here (no pushes, SLA or search)."""
    settings.TISKI_TICKET_CHANGE_HANDLERS = ["tiski.rules.engine.on_ticket_change"]
    engine._compiled.clear()


@pytest.fixture
def no_shipped_time_rules(db):
    from tiski.rules.models import TimeRule

    TimeRule.objects.update(active=False)


class FakeOutbox:
    """Stands in for tiski.channels.outbox.queue_email and records the calls."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return type("Queued", (), {"pk": len(self.calls), "status": "queued"})()


@pytest.fixture
def outbox(monkeypatch):
    fake = FakeOutbox()
    monkeypatch.setattr("tiski.channels.outbox.queue_email", fake)
    return fake
