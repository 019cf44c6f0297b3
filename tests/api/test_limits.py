"""Rate limits (429 with Retry-After and X-RateLimit-*) and idempotent POSTs."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from tiski.api.models import IdempotentResponse
from tiski.tickets.models import Ticket


def test_rate_limit_headers_and_429(api_for, make_user, settings):
    settings.TISKI_API_RATE_LIMIT = 3
    api = api_for(make_user())
    # Within one window: a real clock could cross a minute between requests.
    with time_machine.travel(datetime(2026, 12, 4, 12, 0, 30, tzinfo=UTC), tick=False):
        answers = [api.get("/api/v1/tags") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(a["X-RateLimit-Limit"] == "3" for a in answers)
    limited = answers[-1]
    assert limited.json()["code"] == "rate_limited"
    assert limited["Retry-After"] == "30"
    # Another token of its own has its own quota.
    assert api_for(make_user()).get("/api/v1/tags").status_code == 200


def test_idempotency_key_replays_the_first_answer(api_for, make_user):
    api = api_for(make_user())
    body = {"subject": "Tilaus", "requester_email": "idem@example.fi", "text": "Hei"}
    first = api.post("/api/v1/tickets", body, **{"Idempotency-Key": "abc-123"})
    again = api.post("/api/v1/tickets", body, **{"Idempotency-Key": "abc-123"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert Ticket.objects.count() == 1
    other = api.post(
        "/api/v1/tickets", {**body, "subject": "Muu"}, **{"Idempotency-Key": "abc-123"}
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    fresh = api.post("/api/v1/tickets", body, **{"Idempotency-Key": "def-456"})
    assert fresh.status_code == 201 and Ticket.objects.count() == 2
    assert IdempotentResponse.objects.count() == 2


def test_idempotency_keys_belong_to_one_token(api_for, make_user):
    body = {"subject": "Tilaus", "requester_email": "idem@example.fi"}
    api_for(make_user()).post("/api/v1/tickets", body, **{"Idempotency-Key": "k"})
    api_for(make_user()).post("/api/v1/tickets", body, **{"Idempotency-Key": "k"})
    assert Ticket.objects.count() == 2
