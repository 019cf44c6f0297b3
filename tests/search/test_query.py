"""The query language parses without a database and reports bad values clearly."""

from __future__ import annotations

from datetime import date

import pytest

from tiski.search import query as q
from tiski.search.query import ParsedQuery, QueryError, parse
from tiski.tickets.models import Channel, Priority, Status


def test_the_full_example():
    """Every kind of piece lands in its own field."""
    parsed = parse(
        "tulostin ei toimi status:open,pending type:complaint priority:high team:Myynti "
        "assignee:me tag:vip from:Liisa@Asiakas.fi from:+358 40 1234567 channel:email "
        'created>2026-01-01 created<2026-02-01 #1234 "exact phrase" -excluded'
    )
    assert parsed.terms == ("tulostin", "ei", "toimi", "40", "1234567")
    assert parsed.phrases == ("exact phrase",)
    assert parsed.excluded == ("excluded",)
    assert parsed.filters == {
        "status": ("open", "pending"),
        "type": ("complaint",),
        "priority": ("high",),
        "team": ("Myynti",),
        "assignee": ("me",),
        "tag": ("vip",),
        "from": ("liisa@asiakas.fi", "+358"),
        "channel": ("email",),
    }
    assert parsed.numbers == (1234,)
    assert parsed.created_from == date(2026, 1, 2)
    assert parsed.created_until == date(2026, 2, 1)


def test_phone_number_without_spaces():
    assert parse("from:+358401234567").filters == {"from": ("+358401234567",)}
    assert parse('from:"+358 40 123 4567"').filters == {"from": ("+358401234567",)}


def test_finnish_keys_and_values():
    """Agents may write the keys and fixed values in Finnish."""
    parsed = parse(
        "tila:avoin,odottaa tyyppi:reklamaatio prioriteetti:kiireellinen tiimi:Myynti "
        "käsittelijä:minä tunniste:VIP lähettäjä:liisa@asiakas.fi kanava:sähköposti "
        "luotu>=1.2.2026"
    )
    assert parsed.filters == {
        "status": ("open", "pending"),
        "type": ("reklamaatio",),
        "priority": ("urgent",),
        "team": ("Myynti",),
        "assignee": ("me",),
        "tag": ("vip",),
        "from": ("liisa@asiakas.fi",),
        "channel": ("email",),
    }
    assert parsed.created_from == date(2026, 2, 1)


def test_keys_are_case_insensitive_and_quoted_values_keep_spaces():
    parsed = parse('TEAM:"Asiakaspalvelu Etelä" Tag:"Kesä kampanja"')
    assert parsed.filters == {"team": ("Asiakaspalvelu Etelä",), "tag": ("kesä-kampanja",)}


def test_unsolved_expands():
    assert parse("status:unsolved").filters["status"] == ("new", "open", "pending", "on_hold")


def test_none_and_me():
    parsed = parse("assignee:none team:ei")
    assert parsed.filters == {"assignee": ("none",), "team": ("none",)}


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("created>2026-01-01", date(2026, 1, 2), None),
        ("created>=2026-01-01", date(2026, 1, 1), None),
        ("created<2026-01-10", None, date(2026, 1, 10)),
        ("created<=2026-01-10", None, date(2026, 1, 11)),
        ("created:2026-03-05", date(2026, 3, 5), date(2026, 3, 6)),
        ("luotu=5.3.2026", date(2026, 3, 5), date(2026, 3, 6)),
        ("created>2026-01-01 created>2026-01-05", date(2026, 1, 6), None),
    ],
)
def test_date_bounds_are_half_open_days(text, low, high):
    parsed = parse(text)
    assert (parsed.created_from, parsed.created_until) == (low, high)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("created>yesterday", "is not a date"),
        ("created>2026-02-30", "no day"),
        ("status:bogus", "Unknown status"),
        ("priority:extreme", "Unknown priority"),
        ("channel:pigeon", "Unknown channel"),
        ("status:", "needs a value"),
        ("tag:,", "needs a value"),
        ("status>open", "after a colon"),
        ("created>2026-02-01 created<2026-01-01", "no days"),
        ("-created>2026-01-01", "cannot be excluded"),
    ],
)
def test_bad_values_raise_a_readable_error(text, fragment):
    with pytest.raises(QueryError, match=fragment):
        parse(text)


def test_exclusions():
    parsed = parse('-spam -"out of office" -tag:newsletter -status:closed')
    assert parsed.excluded == ("spam", "out of office")
    assert parsed.excluded_filters == {"tag": ("newsletter",), "status": ("closed",)}
    assert not parsed.has_text and not parsed.is_empty


def test_unknown_keys_and_urls_stay_words():
    """Pasted text such as times and links never becomes an error."""
    parsed = parse("klo:10 https://example.fi/x a-b")
    assert parsed.terms == ("klo:10", "https://example.fi/x", "a-b")
    assert parsed.filters == {}


def test_numbers_and_hash_words():
    parsed = parse("#12 #34 #abc")
    assert parsed.numbers == (12, 34)
    assert parsed.terms == ("abc",)
    assert parse("#12").only_numbers
    assert not parse("#12 printer").only_numbers


def test_punctuation_and_empty_input():
    assert parse("").is_empty
    assert parse("   ").is_empty
    assert parse('- "" & !').is_empty
    assert parse("a  -  b").terms == ("a", "b")


def test_unclosed_quote_runs_to_the_end():
    assert parse('"half typed phrase').phrases == ("half typed phrase",)
    assert parse('team:"Asiakas palv').filters == {"team": ("Asiakas palv",)}


def test_duplicates_collapse_and_text_joins_words():
    parsed = parse('lasku lasku "lasku rivi"')
    assert parsed.terms == ("lasku",)
    assert parsed.text == "lasku lasku rivi"


def test_result_is_frozen():
    parsed = parse("a")
    with pytest.raises(AttributeError):
        parsed.terms = ("b",)  # type: ignore[misc]
    assert parsed == ParsedQuery(terms=("a",))


def test_fixed_values_match_the_ticket_model():
    """The parser's own lists stay in step with tickets.models."""
    statuses = {v for values in q.STATUS_ALIASES.values() for v in values}
    assert statuses == set(Status.values)
    assert set(q.UNSOLVED_STATUSES) == {str(s) for s in q.UNSOLVED_STATUSES}
    assert set(q.PRIORITY_ALIASES.values()) == set(Priority.values)
    assert set(q.CHANNEL_ALIASES.values()) == set(Channel.values)
