"""Zendesk's search syntax, parsed without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tiski.api.zendesk.mapping import PRIORITIES, STATUSES
from tiski.api.zendesk.query import Condition, QueryError, ordered_values, parse

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_filters_words_and_phrases():
    q = parse(
        'type:ticket status<solved priority>=high assignee:me group:"Oma tiimi" '
        'tags:vip -tags:spam requester:liisa@example.fi tulostin "ei toimi" -kahvi',
        NOW,
    )
    assert q.type == "ticket"
    assert q.conditions == [
        Condition("status", "<", "solved"),
        Condition("priority", ">=", "high"),
        Condition("assignee", ":", "me"),
        Condition("group", ":", "Oma tiimi"),
        Condition("tags", ":", "vip"),
        Condition("tags", ":", "spam", negated=True),
        Condition("requester", ":", "liisa@example.fi"),
    ]
    assert q.text == 'tulostin "ei toimi" -kahvi'


def test_unknown_keys_and_urls_stay_words():
    q = parse("klo:10 https://example.fi/tilaus subject:lasku", NOW)
    assert q.conditions == [] and q.words == [
        "klo:10",
        "https://example.fi/tilaus",
        "subject:lasku",
    ]
    assert parse("", NOW).type == "ticket"


@pytest.mark.parametrize(
    "raw",
    ["status:deleted", "priority:p1", "type:ticketz", "type<ticket", "created>eilen", "assignee<5"],
)
def test_known_key_with_bad_value_is_an_error(raw):
    with pytest.raises(QueryError):
        parse(raw, NOW)


def test_times_dates_and_spans():
    from tiski.api.zendesk.query import parse_time

    assert parse_time("2026-01-31", NOW) == date(2026, 1, 31)
    assert parse_time("2026-01-31T12:00:00Z", NOW) == datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert parse_time("4hours", NOW) == NOW - timedelta(hours=4)
    assert parse_time("2days", NOW) == NOW - timedelta(days=2)
    assert parse_time("1week", NOW) == NOW - timedelta(days=7)
    with pytest.raises(QueryError):
        parse_time("2026-01-31T12:00:00", NOW)  # a time without a zone is ambiguous


def test_ordered_scales():
    assert ordered_values(STATUSES, "<", "solved") == ["new", "open", "pending", "hold"]
    assert ordered_values(STATUSES, ">=", "solved") == ["solved", "closed"]
    assert ordered_values(STATUSES, ":", "hold") == ["hold"]
    assert ordered_values(PRIORITIES, ">", "normal") == ["high", "urgent"]
    assert ordered_values(PRIORITIES, "<=", "low") == ["low"]
