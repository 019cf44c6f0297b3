"""API benchmark: list, read, search and create through /api/v1/ at scale, on PostgreSQL.

    .venv/bin/python bench/api.py [--tickets 1000000] [--reuse] [--count 200] [--label x]

1. Creates the database if missing (DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/tiski_api_bench), migrates it and,
   unless ``--reuse`` finds enough tickets, fills it with `generate-data`.
2. Makes a write token for an admin and one for an agent of one team
   (the agent's lists go through the visibility filter), then times, with
   Django's test client in this one process (no HTTP parsing or network):
   a list page, a list page with include=requester,last_message, an
   incremental export page, a search, a read, and a create.
3. Writes p50/p95/p99 and the requests per second of that one process to
   bench/results/api-<date>[-label].json. Targets (issue #19): p95 under
   100 ms for a list page and a read, under 150 ms for a create.

It never asserts timings: figures are for people to read and compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tiski_api_bench"
TARGETS = {"list": 100.0, "list_include": 100.0, "read": 100.0, "create": 150.0}


def ensure_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiski.settings")
    os.environ.setdefault("TISKI_API_RATE_LIMIT", "100000000")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(tickets: int, *, reuse: bool, seed: int) -> dict[str, Any]:
    from django.core.management import call_command

    from tiski.operations.generate import generate
    from tiski.tickets.models import Ticket

    call_command("migrate", interactive=False, verbosity=0, skip_checks=True)
    existing = Ticket.objects.count()
    if reuse and existing >= tickets:
        return {"generated": False, "tickets": existing}
    result = generate(tickets - existing if reuse else tickets, seed=seed, stdout=sys.stdout)
    return {"generated": True, "tickets": Ticket.objects.count(), "seconds": round(result.seconds)}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def timed(name: str, call, count: int) -> dict[str, Any]:
    for _ in range(min(10, count)):
        call()
    times, errors = [], 0
    for _ in range(count):
        started = time.perf_counter()
        status = call()
        times.append((time.perf_counter() - started) * 1000)
        errors += status >= 400
    row = {
        "name": name,
        "count": count,
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "p99_ms": round(percentile(times, 99), 1),
        "requests_per_second": round(1000 / statistics.fmean(times), 1),
        "errors": errors,
        "target_p95_ms": TARGETS.get(name),
    }
    print(f"  {name:<14} p50 {row['p50_ms']:7.1f}  p95 {row['p95_ms']:7.1f} ms  errors {errors}")
    return row


def run(count: int) -> list[dict[str, Any]]:
    from django.test import Client

    from tiski.accounts.models import Team, User
    from tiski.api import tokens
    from tiski.api.models import Scope
    from tiski.tickets.models import Ticket

    admin = User.objects.filter(role="admin", is_active=True).first()
    team = Team.objects.order_by("pk").first()
    agent = team.members.filter(role="agent", is_active=True).first() if team else None
    client = Client()
    rows = []
    for who, user in (("admin", admin), ("agent", agent)):
        if user is None:
            continue
        _token, raw = tokens.create_token(user, name="bench", scope=Scope.WRITE)
        auth = {"Authorization": f"Bearer {raw}"}
        numbers = list(
            Ticket.objects.visible_to(user)
            .order_by("-updated_at")
            .values_list("number", flat=True)[:200]
        )
        since = (datetime.now(UTC) - timedelta(days=7)).isoformat()
        cases = {
            "list": ("/api/v1/tickets", {"limit": 25}),
            "list_include": ("/api/v1/tickets", {"limit": 25, "include": "requester,last_message"}),
            "export": ("/api/v1/tickets", {"limit": 100, "updated_since": since}),
            "search": ("/api/v1/tickets", {"q": "kahvinkeitin", "limit": 25}),
        }
        print(f"{who}:")
        for name, (path, params) in cases.items():
            row = timed(
                name,
                lambda p=path, q=params, h=auth: client.get(p, q, headers=h).status_code,
                count,
            )
            rows.append({"user": who, **row})
        reads = iter(numbers * (count // max(1, len(numbers)) + 2))
        rows.append(
            {
                "user": who,
                **timed(
                    "read",
                    lambda r=reads, h=auth: (
                        client.get(f"/api/v1/tickets/{next(r)}", headers=h).status_code
                    ),
                    count,
                ),
            }
        )
        body = json.dumps(
            {"subject": "Bench", "requester_email": "bench@example.fi", "text": "Hei"}
        )
        rows.append(
            {
                "user": who,
                **timed(
                    "create",
                    lambda b=body, h=auth: (
                        client.post(
                            "/api/v1/tickets", b, content_type="application/json", headers=h
                        ).status_code
                    ),
                    count,
                ),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    setup_django(url)
    facts = prepare(args.tickets, reuse=args.reuse, seed=args.seed)
    rows = run(args.count)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "data": facts,
        "measures": rows,
        "note": "in-process test client, one process, sequential requests",
    }
    RESULTS.mkdir(exist_ok=True)
    stem = f"api-{datetime.now(UTC):%Y-%m-%d}" + (f"-{args.label}" if args.label else "")
    path = RESULTS / f"{stem}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
