"""Report pages on PostgreSQL with generated data: p50 / p95 as an agent and as a manager.

    .venv/bin/python bench/reports.py --tickets 100000 [--reuse] [--requests 7]

1. Makes sure the database exists (DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/tiski_reports_bench), migrates it and
   fills it with `tiski generate-data --tickets N` (three years of tickets)
   unless ``--reuse`` finds them there. Generated rows bypass the actions,
   so the facts table is then filled once with `tiski report --rebuild`
   (timed: it is what an upgrade of an existing desk runs).
2. Makes agent02 a manager (the generator makes admins and agents only),
   and times every report page for the last full year and for the last
   three years, after one warm-up request, through Django's test client in
   this process: the view, the queries and the template, without the
   network.
3. Writes bench/results/reports-<date>[-label].json and the table between
   the markers in bench/README.md.

Timings are never asserted: figures are for people to read and compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
README = ROOT / "bench" / "README.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tiski_reports_bench"
AGENT = "agent01@tiski-data.example"
MANAGER = "agent02@tiski-data.example"
TABLE_START = "<!-- reports-results:start -->"
TABLE_END = "<!-- reports-results:end -->"
TARGET_P95_MS = 500


def ensure_database(url: str, *, fresh: bool) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def tiski(*args: str) -> float:
    """Run a tiski command against the benchmark database; its wall time in seconds."""
    started = time.monotonic()
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "tiski"), *args], check=True, env=os.environ.copy()
    )
    return round(time.monotonic() - started, 1)


def prepare(tickets: int, *, reuse: bool) -> dict[str, Any]:
    facts: dict[str, Any] = {"migrate_seconds": tiski("migrate", "-v0")}
    setup_django()
    from tiski.reports.models import TicketFact
    from tiski.tickets.models import Ticket

    existing = Ticket.objects.count()
    if reuse and existing >= tickets:
        print(f"Reusing {existing:,} tickets.")
    else:
        print(f"Generating {tickets:,} tickets ...")
        facts["generate_seconds"] = tiski("generate-data", "--tickets", str(tickets))
    if TicketFact.objects.count() < Ticket.objects.count():
        print("Filling the facts table ...")
        facts["rebuild_seconds"] = tiski("report", "--rebuild")
    # Fresh planner statistics and visibility maps, as autovacuum would have
    # them on a running desk: a just-filled table has neither, plans go wrong
    # without the first, and index-only scans visit the table without the
    # second.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    facts["tickets"] = Ticket.objects.count()
    facts["facts"] = TicketFact.objects.count()
    return facts


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiski.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def periods_to_time() -> dict[str, dict[str, str]]:
    today = date.today()
    return {
        "year": {"from": (today - timedelta(days=365)).isoformat(), "to": today.isoformat()},
        "three_years": {
            "from": (today - timedelta(days=3 * 365)).isoformat(),
            "to": today.isoformat(),
        },
    }


def measure(requests: int) -> list[dict[str, Any]]:
    from django.test import Client
    from django.urls import reverse

    from tiski.accounts.models import Role, User
    from tiski.reports.metrics import REPORTS

    User.objects.filter(email=MANAGER).update(role=Role.MANAGER)
    rows = []
    for who, email in (("agent", AGENT), ("manager", MANAGER)):
        client = Client(SERVER_NAME="localhost")
        client.force_login(User.objects.get(email=email))
        for period, params in periods_to_time().items():
            for name in REPORTS:
                url = reverse(f"reports:{name}")
                response = client.get(url, params)  # warm-up
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")
                times = []
                for _ in range(requests):
                    started = time.perf_counter()
                    client.get(url, params)
                    times.append((time.perf_counter() - started) * 1000)
                times.sort()
                p95 = times[max(0, round(0.95 * len(times)) - 1)]
                row = {
                    "report": name,
                    "period": period,
                    "as": who,
                    "p50_ms": round(statistics.median(times)),
                    "p95_ms": round(p95),
                    "requests": requests,
                    **profile(client, url, params),
                }
                print(
                    f"{name:10} {period:12} {who:8}"
                    f" p50 {row['p50_ms']:6} ms  p95 {row['p95_ms']:6} ms"
                    f"  {row['queries']:3} queries, EXPLAIN ANALYZE {row['explain_ms']} ms,"
                    f" {row['buffers']:,} buffers"
                )
                rows.append(row)
    return rows


def profile(client: Any, url: str, params: dict[str, str], slowest: int = 3) -> dict[str, Any]:
    """One more request with its queries captured: how many, their time, and
    EXPLAIN (ANALYZE, BUFFERS) of every SELECT: the database's own execution
    time and the shared buffers each touched. Buffers do not depend on the
    machine's load (wall times here do, a lot): the figure to compare two
    versions of the code by. The slowest three are kept with their SQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    explained = []
    buffers = 0
    if connection.vendor == "postgresql":
        for _ms, sql in queries:
            # Reads only; a WITH is a read too (the monthly rollup's sums).
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            top = plan["Plan"]
            touched = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
            buffers += touched
            explained.append(
                {
                    "execution_ms": round(plan["Execution Time"], 1),
                    "buffers": touched,
                    "sql": sql[:300],
                }
            )
        explained.sort(key=lambda e: -e["execution_ms"])
    return {
        "queries": len(queries),
        "db_ms": round(sum(ms for ms, _sql in queries)),
        "buffers": buffers,
        "explain_ms": round(sum(e["execution_ms"] for e in explained), 1),
        "explain": explained[:slowest],
    }


def write_readme(rows: list[dict[str, Any]], facts: dict[str, Any], label: str) -> None:
    lines = [
        TABLE_START,
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {facts['tickets']:,} generated tickets"
        f" ({label or 'default'}); target p95 < {TARGET_P95_MS} ms per page.",
        "",
        "| report | period | as | p50 ms | p95 ms | within target | queries | db ms |"
        " EXPLAIN ANALYZE ms, all queries | buffers touched |",
        "|---|---|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        ok = "yes" if r["p95_ms"] < TARGET_P95_MS else "**no**"
        lines.append(
            f"| {r['report']} | {r['period']} | {r['as']} | {r['p50_ms']} | {r['p95_ms']} | {ok}"
            f" | {r.get('queries', '')} | {r.get('db_ms', '')} | {r.get('explain_ms', '')}"
            f" | {r.get('buffers', ''):,} |"
        )
    lines.append(TABLE_END)
    text = README.read_text()
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start != -1 and end != -1:
        text = text[:start] + "\n".join(lines) + text[end + len(TABLE_END) :]
        README.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--label", default="")
    parser.add_argument("--no-readme", action="store_true", help="leave bench/README.md alone")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    ensure_database(args.database_url, fresh=not args.reuse)
    facts = prepare(args.tickets, reuse=args.reuse)
    rows = measure(args.requests)
    RESULTS.mkdir(exist_ok=True)
    stamp = f"{datetime.now(UTC):%Y-%m-%d}" + (f"-{args.label}" if args.label else "")
    out = RESULTS / f"reports-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "facts": facts,
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "results": rows,
            },
            indent=2,
        )
    )
    if not args.no_readme:
        write_readme(rows, facts, args.label)
    print(f"Wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
