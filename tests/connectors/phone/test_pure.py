"""Pure logic of the phone channel: numbers, the call state, merge scoring, SMS text."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from tiski.connectors.phone.numbers import display, lookup_forms, to_e164
from tiski.connectors.phone.state import CallEventFact, derive, should_pop
from tiski.connectors.phone.texts import callback_sms_text
from tiski.customers.merge import ContactFacts, score_pair

T0 = datetime(2026, 11, 24, 8, 15, tzinfo=UTC)  # Tuesday 10:15 Helsinki


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("040 123 4567", "+358401234567"),
        ("+358 40 123 4567", "+358401234567"),
        ("00358401234567", "+358401234567"),
        ("358401234567", "+358401234567"),
        ("(09) 4241 0000", "+358942410000"),
        ("tel:+358-9-1234567;ext=12", "+35891234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("anonymous", None),
        ("", None),
        ("12", None),
    ],
)
def test_numbers_become_e164(raw, e164):
    """Every shape a PBX sends becomes one E.164 string; hidden numbers none."""
    assert to_e164(raw) == e164


def test_lookup_forms_and_display():
    """Older identities stored national digits: the lookup covers them."""
    assert lookup_forms("+358401234567") == ["+358401234567", "0401234567", "358401234567"]
    assert lookup_forms("+46701234567") == ["+46701234567", "46701234567"]
    assert display("+358401234567") == "+358 40 1234567"


def ev(type_, minutes=0, **kw):
    return CallEventFact(type=type_, at=T0 + timedelta(minutes=minutes), key=type_, **kw)


NORMAL = [
    ev("ringing", 0, agent_id=7),
    ev("answered", 1, agent_id=7),
    ev("ended", 4, cause="answered", duration=180, recording_url="https://rec/1.mp3"),
]


def test_normal_call():
    state = derive(NORMAL)
    assert state.phase == "ended" and state.direction == "inbound"
    assert state.answered and not state.missed
    assert state.agent_id == 7 and state.duration == 180
    assert state.recording_url == "https://rec/1.mp3"


def test_abandoned_call_is_missed():
    state = derive([ev("ringing", 0), ev("ended", 2, cause="abandoned")])
    assert state.missed and state.cause == "abandoned"


def test_cause_inferred_when_missing():
    """No cause: answered if someone answered, otherwise abandoned (inbound)."""
    assert derive([ev("ringing"), ev("ended", 1)]).cause == "abandoned"
    assert derive([ev("ringing"), ev("answered", 1), ev("ended", 3)]).cause == "answered"
    assert derive([ev("ringing"), ev("answered", 1), ev("ended", 3)]).duration == 120
    assert derive([ev("outbound", agent_id=3), ev("ended", 1)]).cause == "no_answer"


def test_transfer_moves_the_call_to_the_next_agent():
    state = derive(
        [
            ev("ringing", 0, agent_id=1),
            ev("answered", 1, agent_id=1),
            ev("transferred", 2, agent_id=2),
            ev("ended", 5, cause="answered"),
        ]
    )
    assert state.agent_id == 2 and state.agents == (1, 2)


def test_outbound_call():
    state = derive([ev("outbound", 0, agent_id=5), ev("answered", 1), ev("ended", 2)])
    assert state.direction == "outbound" and state.answered and state.agent_id == 5
    assert not state.missed


@pytest.mark.parametrize("events", [NORMAL, NORMAL[:1] + NORMAL[2:]])
def test_any_arrival_order_and_duplicates_give_the_same_state(events):
    """Out-of-order and repeated delivery: one final state."""
    expected = derive(events)
    for perm in itertools.permutations(events + events[:1]):
        assert derive(perm) == expected


def test_same_second_events_sort_by_life_order():
    same = [ev("ended", 0, cause="answered"), ev("answered", 0, agent_id=1), ev("ringing", 0)]
    assert derive(same).phase == "ended"
    assert derive(same).agent_id == 1


def test_pop_only_for_live_calls_and_named_agents():
    ringing = ev("ringing", 0, agent_id=7)
    assert should_pop(ringing, derive([ringing])) == 7
    late_answer = ev("answered", 1, agent_id=7)
    assert should_pop(late_answer, derive([ringing, late_answer, ev("ended", 2)])) is None
    assert should_pop(ev("ringing"), derive([ev("ringing")])) is None


def facts(id_, name="", org=None, emails=(), phones=()):
    return ContactFacts(id_, name, org, frozenset(emails), frozenset(phones))


def test_merge_scoring():
    """Same phone: strong; same name + organisation, different emails: ask; name alone: no."""
    a = facts(1, "Liisa Lahtinen", 10, ["liisa@firma.fi"], ["+358401234567"])
    assert score_pair(a, facts(2, "L. Lahtinen", None, [], ["+358401234567"])).reasons == (
        "same_phone",
    )
    by_name = score_pair(a, facts(3, "liisa  lahtinen", 10, ["liisa@gmail.com"]))
    assert by_name.score == 60 and by_name.reasons == ("same_name_and_organisation",)
    both = score_pair(a, facts(4, "Liisa Lahtinen", 10, ["l@x.fi"], ["+358401234567"]))
    assert both.score == 95
    assert score_pair(a, facts(5, "Liisa Lahtinen", None, ["liisa@gmail.com"])) is None
    assert score_pair(a, facts(6, "Liisa Lahtinen", 11, ["liisa@muu.fi"])) is None
    assert score_pair(a, a) is None


def test_callback_sms_text():
    due = datetime(2026, 11, 24, 12, 30, tzinfo=UTC)  # 14:30 Helsinki
    text = callback_sms_text(
        "Soitamme sinulle takaisin viimeistään %(when)s.",
        due,
        language="fi",
        tz="Europe/Helsinki",
        now=T0,
    )
    assert text == "Soitamme sinulle takaisin viimeistään tänään klo 14.30."
    en = callback_sms_text(
        "We will call you back by %(when)s.",
        due + timedelta(days=1),
        language="en",
        tz="Europe/Helsinki",
        now=T0,
    )
    assert en == "We will call you back by tomorrow at 14:30."
