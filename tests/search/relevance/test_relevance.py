"""Search relevance on a labelled set: recall@10 and mean reciprocal rank per category.

The figures are recorded per database and analyser in `baseline.json`; the
test fails when a category's recall@10 falls below its recorded figure, so
a change to the analysis or the ranking cannot quietly lose what search
found before. After an improvement, record the new figures with
``TISKI_RECORD_RELEVANCE=1 pytest tests/search/relevance`` (on SQLite and on
PostgreSQL); the same run writes them to ``bench/results/``.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pytest
from django.db import connection

from tiski.accounts.models import Role
from tiski.search import analysis, indexing
from tiski.search.service import search_tickets

from .documents import DOCUMENTS
from .queries import QUERIES

HERE = Path(__file__).parent
BASELINE = HERE / "baseline.json"
RESULTS = HERE.parents[2] / "bench" / "results"
TOP = 10


def setup_name() -> str:
    analyser = "voikko" if analysis.voikko_available() else "snowball"
    return f"{connection.vendor}-{analyser}"


def measure(user, number_to_key: dict[int, str]) -> tuple[dict, list[dict]]:
    by_category: dict[str, list[tuple[float, float]]] = defaultdict(list)
    misses = []
    for category, query, expected in QUERIES:
        found = [number_to_key[h.ticket.number] for h in search_tickets(user, query, TOP).hits]
        recall = len(set(found) & set(expected)) / len(expected)
        rank = next((i + 1 for i, key in enumerate(found) if key in expected), None)
        by_category[category].append((recall, 1 / rank if rank else 0.0))
        if recall < 1:
            misses.append({"category": category, "query": query, "found": found[:5]})
    figures = {
        category: {
            "queries": len(rows),
            "recall_at_10": round(sum(r for r, _ in rows) / len(rows), 3),
            "mrr": round(sum(m for _, m in rows) / len(rows), 3),
        }
        for category, rows in sorted(by_category.items())
    }
    return figures, misses


@pytest.fixture
def relevance_set(db, make_user, make_contact, make_ticket):
    finn = make_contact(email="asiakas@example.fi", name="Asiakas", language="fi")
    english = make_contact(email="customer@example.com", name="Customer", language="en")
    number_to_key = {}
    for key, (language, subject, text) in DOCUMENTS.items():
        ticket = make_ticket(
            subject=subject, text=text, requester=finn if language == "fi" else english
        )
        number_to_key[ticket.number] = key
    indexing.rebuild()
    return make_user(role=Role.ADMIN), number_to_key


def test_relevance_holds_its_recorded_figures(relevance_set):
    """Every category finds at least what it found when its figures were recorded."""
    user, number_to_key = relevance_set
    figures, misses = measure(user, number_to_key)
    name = setup_name()
    recorded = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    if os.environ.get("TISKI_RECORD_RELEVANCE"):
        recorded[name] = figures
        BASELINE.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"search-relevance-{name}.json").write_text(
            json.dumps({"figures": figures, "misses": misses}, indent=2, ensure_ascii=False) + "\n"
        )
    if name not in recorded:
        pytest.skip(f"no figures recorded for {name}")
    lost = {
        category: (figures.get(category, {}).get("recall_at_10", 0.0), floor["recall_at_10"])
        for category, floor in recorded[name].items()
        if figures.get(category, {}).get("recall_at_10", 0.0) < floor["recall_at_10"]
    }
    assert not lost, f"recall@10 fell (now, recorded): {lost}; misses: {misses}"


def test_the_set_is_large_enough():
    """At least 200 Finnish and 50 English queries, each naming tickets that exist."""
    finnish = [q for q in QUERIES if not q[0].startswith("en-")]
    english = [q for q in QUERIES if q[0].startswith("en-")]
    assert len(finnish) >= 200 and len(english) >= 50
    assert all(set(expected) <= DOCUMENTS.keys() for _c, _q, expected in QUERIES)
