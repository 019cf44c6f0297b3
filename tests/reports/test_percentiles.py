"""Medians and percentiles in the database equal the definitions of `stats`
(run on SQLite and on PostgreSQL)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime

import pytest
from django.db.models import Count

from tiski.reports import stats
from tiski.reports.aggregates import P90, Median, PercentileCont, PercentileDisc, list_stats
from tiski.reports.models import HourlyVolume, TicketFact

HOUR = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.django_db
def test_grouped_percentiles_equal_the_definitions():
    rng = random.Random(15)
    # Odd and even sizes, one value, ties, and n = 70 (where 0.9 * n is not
    # exactly 63 in floating point: both must round the same way).
    sizes = {"a": 1, "b": 2, "c": 7, "d": 10, "e": 70, "f": 33}
    samples: dict[str, list[int]] = defaultdict(list)
    rows = []
    for channel, n in sizes.items():
        for _ in range(n):
            value = rng.choice([0, 5, 5, 60, 3600, rng.randint(0, 500_000)])
            samples[channel].append(value)
            rows.append(HourlyVolume(hour=HOUR, channel=channel, priority="normal", created=value))
    HourlyVolume.objects.bulk_create(rows)
    got = {
        row["channel"]: row
        for row in HourlyVolume.objects.values("channel")
        .annotate(
            n=Count("pk"),
            median=Median("created"),
            p90=P90("created"),
            p25=PercentileCont("created", 0.25),
            p75=PercentileDisc("created", 0.75),
        )
        .order_by()
    }
    for channel, values in samples.items():
        assert got[channel]["n"] == len(values)
        assert got[channel]["median"] == stats.median(values)
        assert got[channel]["median"] == stats.interpolated(values, 0.5)
        assert got[channel]["p90"] == stats.percentile(values, 0.9)
        assert got[channel]["p25"] == pytest.approx(stats.interpolated(values, 0.25))
        assert got[channel]["p75"] == stats.percentile(values, 0.75)
    everything = [v for values in samples.values() for v in values]
    whole = HourlyVolume.objects.aggregate(m=Median("created"), p=P90("created"))
    assert whole == {"m": stats.median(everything), "p": stats.percentile(everything)}
    assert HourlyVolume.objects.filter(channel="none").aggregate(m=Median("created"))["m"] is None


def test_percentiles_skip_missing_values_and_read_lists(history):
    fact_rows = TicketFact.objects.filter(merged=False)
    values = [v for v in fact_rows.values_list("first_reply_seconds", flat=True) if v is not None]
    assert len(values) < fact_rows.count() or values  # some tickets may lack a reply
    got = fact_rows.aggregate(m=Median("first_reply_seconds"), p=P90("first_reply_seconds"))
    assert got == {"m": stats.median(values), "p": stats.percentile(values)}

    lists = {history.weekend.pk: [10, 20, 30], history.reopened.pk: [5], history.pending.pk: []}
    for pk, value in lists.items():
        TicketFact.objects.filter(pk=pk).update(next_reply_seconds=value)
    flat = [v for value in lists.values() for v in value]
    got = list_stats(TicketFact.objects.filter(pk__in=list(lists)), "next_reply_seconds")
    assert got == {"median": 15.0, "mean": pytest.approx(stats.mean(flat)), "p90": 30.0}
    empty = list_stats(TicketFact.objects.filter(pk=history.pending.pk), "next_reply_seconds")
    assert empty == {"median": None, "mean": None, "p90": None}


def test_bad_fraction_is_refused():
    with pytest.raises(ValueError):
        PercentileCont("created", 1.5)
