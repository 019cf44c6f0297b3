"""Conditions are pure: facts in, bool out, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiski.rules.facts import business_cutoff

from .helpers import CALENDAR, NOW, all_of, assert_does_not_fire, assert_fires, cond, make_facts


@pytest.mark.parametrize(
    ("condition", "facts", "expected"),
    [
        (cond("status", op="equals", value="open"), {}, True),
        (cond("status", op="not_equals", value="open"), {}, False),
        (cond("status", op="in", value=["new", "pending"]), {}, False),
        (cond("status", op="not_in", value=["new", "pending"]), {}, True),
        (cond("priority", op="in", value=["high", "urgent"]), {"priority": "urgent"}, True),
        (cond("type", op="equals", value="question"), {}, True),
        (cond("type", op="equals", value=None), {"type_slug": None}, True),
        (cond("team", op="equals", value=7), {"team_id": 7}, True),
        (cond("team", op="in", value=[None]), {"team_id": 7}, False),
        (cond("assignee", op="equals", value=None), {}, True),
        (cond("assignee", op="not_equals", value=None), {"assignee_id": 3}, True),
        (cond("channel", op="in", value=["phone", "chat"]), {}, False),
        (cond("organisation", op="equals", value=4), {"organisation_id": 4}, True),
        (cond("requester_language", op="equals", value="en"), {}, False),
        (cond("mailbox", op="equals", value="TUKI@example.fi"), {}, True),
        (cond("mailbox", op="equals", value="myynti@example.fi"), {"mailbox": ""}, False),
        (cond("tags", op="contains", tags=["vip"]), {"tags": {"vip", "b"}}, True),
        (cond("tags", op="contains", tags=["vip", "x"]), {"tags": {"vip"}}, False),
        (cond("tags", op="not_contains", tags=["VIP"]), {"tags": {"vip"}}, False),
        (cond("tags", op="not_contains", tags=["spam"]), {}, True),
        (cond("business_hours", open=True), {}, True),
        (cond("business_hours", open=False), {}, False),
    ],
)
def test_field_conditions(condition, facts, expected):
    """Each field condition compares the snapshot value with its parameter."""
    (assert_fires if expected else assert_does_not_fire)(all_of(condition), make_facts(**facts))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (cond("text", op="contains", value="LASKU"), True),
        (cond("text", field="body", op="contains", value="VIRHE"), True),
        (cond("text", field="subject", op="contains", value="virhe"), False),
        (cond("text", op="not_contains", value="kiitos"), True),
        (cond("text", op="any_word", value="väärin oikein"), True),
        (cond("text", op="any_word", value="lasku"), True),  # the subject has it whole
        (cond("text", field="body", op="any_word", value="lasku"), False),  # "laskussanne"
        (cond("text", field="body", op="word_starts", value="lasku"), True),
        (cond("text", op="all_words", value="lasku VÄÄRIN"), True),
        (cond("text", op="all_words", value="lasku hyvitys"), False),
        (cond("text", op="no_words", value="hyvitys palautus"), True),
        (cond("text", op="no_words", value="korjata"), False),
    ],
)
def test_text_conditions_are_case_insensitive_and_know_finnish_letters(condition, expected):
    """Words include ä/ö/å; whole words, word beginnings (Finnish inflection) and substrings."""
    (assert_fires if expected else assert_does_not_fire)(all_of(condition), make_facts())


def test_groups_all_any_none_and_one_nested_level():
    """all: every item; any: at least one; none: no item; a nested group counts as one item."""
    rule = {
        "all": [cond("status", op="in", value=["new", "open"])],
        "any": [
            cond("priority", op="equals", value="urgent"),
            {"all": [cond("tags", tags=["vip"]), cond("channel", value="email")]},
        ],
        "none": [cond("text", op="any_word", value="roskaposti")],
    }
    assert_fires(rule, make_facts(priority="urgent"))
    assert_fires(rule, make_facts(tags={"vip"}))
    assert_does_not_fire(rule, make_facts(tags={"vip"}, channel="phone"))
    assert_does_not_fire(rule, make_facts(status="pending", priority="urgent"))
    assert_does_not_fire(rule, make_facts(priority="urgent", subject="Roskaposti!"))


def test_an_empty_group_matches_everything():
    assert_fires({}, make_facts())
    assert_fires({"all": [], "any": [], "none": []}, make_facts())


def test_hours_since_wall_clock():
    """At least / less than N hours since a moment; a moment that never happened matches neither."""
    facts = make_facts(status_changed_at=NOW - timedelta(days=3))
    assert_fires(all_of(cond("hours_since", since="status_changed", hours=72)), facts)
    assert_does_not_fire(all_of(cond("hours_since", since="status_changed", hours=73)), facts)
    assert_fires(
        all_of(cond("hours_since", since="status_changed", op="less_than", hours=73)), facts
    )
    none = make_facts(last_customer_message_at=None)
    for op in ("at_least", "less_than"):
        assert_does_not_fire(
            all_of(cond("hours_since", since="last_customer_message", op=op, hours=1)), none
        )


def test_hours_since_in_business_hours_skips_nights_and_weekends():
    """Friday 15:00 to Monday 10:00 (Helsinki, 8-16 office hours) is 3 business hours."""
    friday_15 = datetime(2025, 3, 7, 13, 0, tzinfo=UTC)
    monday_10 = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
    facts = make_facts(updated_at=friday_15, now=monday_10)
    business = {"since": "updated", "business": True}
    assert_fires(all_of(cond("hours_since", hours=3, **business)), facts)
    assert_does_not_fire(all_of(cond("hours_since", hours=3.01, **business)), facts)
    assert_fires(all_of(cond("hours_since", since="updated", hours=60)), facts)


def test_business_hours_skip_finnish_holidays():
    """Midsummer Eve (Fri 20 June 2025) is closed: Thursday 16:00 to Monday 9:00 is 1 hour."""
    thursday_16 = datetime(2025, 6, 19, 13, 0, tzinfo=UTC)
    monday_9 = datetime(2025, 6, 23, 6, 0, tzinfo=UTC)
    facts = make_facts(updated_at=thursday_16, now=monday_9)
    assert_fires(all_of(cond("hours_since", since="updated", hours=1, business=True)), facts)
    assert_does_not_fire(
        all_of(cond("hours_since", since="updated", hours=1.5, business=True)), facts
    )


@settings(max_examples=60, deadline=None)
@given(
    back=st.integers(min_value=0, max_value=30 * 24 * 3600),
    hours=st.integers(min_value=1, max_value=80),
)
def test_business_cutoff_agrees_with_business_time_between(back, hours):
    """ts <= cutoff exactly when at least `hours` business hours have passed since ts."""
    moment = NOW - timedelta(seconds=back)
    duration = timedelta(hours=hours)
    cutoff = business_cutoff(CALENDAR, NOW, duration)
    assert (moment <= cutoff) == (CALENDAR.business_time_between(moment, NOW) >= duration)


def test_facts_are_frozen():
    facts = make_facts()
    with pytest.raises(AttributeError):
        facts.status = "solved"  # type: ignore[misc]
