"""Live overview and handling-time report benchmark on PostgreSQL.

    .venv/bin/python bench/reports_overview.py [--tickets 100000] [--reuse]
        [--requests 60] [--label x]

1. (Re)creates the database (DATABASE_URL or --database-url, default
   postgres://postgres@127.0.0.1:5432/tiski_live_bench), migrates it and,
   unless ``--reuse``, fills it with ``tiski generate-data``'s generator
   (three years of history, about one per cent unsolved) plus its handling
   time, then gives the unsolved tickets SLA deadlines (a spread from two
   days late to three days ahead, warnings an hour before) and ANALYZEs.
2. Times, for a manager (all teams) and for an agent (own tickets):
   the overview figures alone (``overview.compute``), the overview page and
   its live fragment through Django's test client, and the handling report
   for the last month. p50 / p95 / max over ``--requests`` runs after a
   warm-up.
3. EXPLAINs (ANALYZE, BUFFERS) every query of one manager overview and
   records whether any reads the ticket table sequentially.
4. Writes the figures to bench/results/reports-overview-<date>[-label].json.

It never asserts timings: figures are for people to read and compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tiski_live_bench"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(-(-pct * len(ordered) // 100)) - 1))
    return ordered[rank]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 1),
        "p95_ms": round(percentile(values, 95) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
        "runs": len(values),
    }


def recreate_database(url: str, drop: bool) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiski.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(tickets: int) -> None:
    from django.db import connection

    try:  # the generator's home moves from core to operations
        from tiski.operations.generate import generate  # type: ignore[import-not-found]
    except ImportError:
        from tiski.operations.generate import generate
    from tiski.worktime.generate import generate_handling_time

    began = time.monotonic()
    result = generate(tickets, seed=11, stdout=sys.stdout)
    from tiski.worktime.models import WorkEntry

    if not WorkEntry.objects.exists():  # older generators did not write handling time
        generate_handling_time(
            seed=11,
            first_number=result.first_number,
            last_number=result.last_number,
            stdout=sys.stdout,
        )
    with connection.cursor() as cursor:
        # SLA deadlines as the SLA service would keep them (the generator runs no clocks).
        cursor.execute(
            """
            UPDATE tickets_ticket
               SET queue_due_at = now() + (random() * 120 - 48) * interval '1 hour',
                   sla_warn_at = NULL
             WHERE status IN ('new', 'open')
            """
        )
        cursor.execute(
            "UPDATE tickets_ticket SET sla_warn_at = queue_due_at - interval '1 hour'"
            " WHERE status IN ('new', 'open')"
        )
        cursor.execute("ANALYZE")
    print(f"filled in {time.monotonic() - began:.0f} s", flush=True)


def people() -> dict[str, Any]:
    from django.db.models import Count

    from tiski.accounts.models import Role, Team, User
    from tiski.tickets.models import UNSOLVED_STATUSES

    manager, _ = User.objects.get_or_create(
        email="bench-manager@tiski.example",
        defaults={"name": "Bench Manager", "role": Role.MANAGER},
    )
    manager.teams.set(Team.objects.filter(restricted=False))
    busiest = (
        User.objects.filter(role=Role.AGENT, assigned_tickets__status__in=UNSOLVED_STATUSES)
        .annotate(n=Count("assigned_tickets"))
        .order_by("-n")
        .first()
    )
    return {"manager": manager, "agent": busiest}


def time_calls(fn, runs: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        out.append(time.perf_counter() - began)
    return out


def explain_overview(user) -> list[dict[str, Any]]:
    from django.db import connection

    from tiski.reports import overview

    captured: list[tuple[str, Any]] = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        overview.compute(user)
    plans = []
    with connection.cursor() as cursor:
        for sql, params in captured:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            lines = [row[0] for row in cursor.fetchall()]
            plans.append(
                {
                    "sql": sql[:300],
                    "seq_scan_on_tickets": any("Seq Scan on tickets_ticket" in ln for ln in lines),
                    "plan": lines,
                }
            )
    return plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--reuse", action="store_true", help="keep the filled database")
    parser.add_argument("--label", default="")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()

    recreate_database(args.database_url, drop=not args.reuse)
    setup_django(args.database_url)
    from django.test import Client
    from django.test.utils import setup_test_environment

    from tiski.reports import overview
    from tiski.tickets.models import UNSOLVED, Ticket
    from tiski.worktime.models import WorkEntry

    if not args.reuse:
        fill(args.tickets)
    setup_test_environment()
    users = people()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
        # Other work on the machine inflates every figure: record how busy it was.
        "load_average_1_5_15": [round(x, 1) for x in os.getloadavg()],
        "tickets": Ticket.objects.count(),
        "unsolved": Ticket.objects.filter(UNSOLVED).count(),
        "work_entries": WorkEntry.objects.count(),
        "timings": {},
    }
    print(json.dumps({k: v for k, v in results.items() if k != "timings"}), flush=True)
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        today = datetime.now(UTC).date()
        month_ago = today.replace(day=1)
        handling = f"/reports/handling/?start={month_ago}&end={today}&by=agent"
        cases = {
            "overview.compute": lambda u=user: overview.compute(u),
            "GET /reports/": lambda c=client: c.get("/reports/"),
            "GET /reports/?partial=figures": lambda c=client: c.get("/reports/?partial=figures"),
            "GET /reports/handling/ (this month, by agent)": lambda c=client, q=handling: c.get(q),
        }
        for name, fn in cases.items():
            figures = summary(time_calls(fn, args.requests))
            results["timings"][f"{role}: {name}"] = figures
            print(f"{role:8} {name:48} {figures}", flush=True)
    plans = explain_overview(users["manager"])
    results["explain_manager_overview"] = plans
    results["any_seq_scan_on_tickets"] = any(p["seq_scan_on_tickets"] for p in plans)
    results["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    print("sequential scans on tickets:", results["any_seq_scan_on_tickets"])
    # Database time alone, from the plans: what the machine's load hides.
    results["manager_overview_execution_ms"] = round(
        sum(
            float(line.split(":")[1].split()[0])
            for p in plans
            for line in p["plan"]
            if line.startswith("Execution Time")
        ),
        2,
    )
    RESULTS.mkdir(exist_ok=True)
    name = f"reports-overview-{datetime.now(UTC).date()}{'-' + args.label if args.label else ''}"
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
