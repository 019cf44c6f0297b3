"""Time-rule pass benchmark: the shipped time rules over 100,000 open tickets on PostgreSQL.

    .venv/bin/python bench/rules_time_pass.py [--tickets 100000] [--reuse] [--label x]

1. Creates the database if missing (DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/tiski_rules_bench), migrates it and,
   unless ``--reuse``, empties the ticket tables and bulk-inserts N unsolved
   tickets (plain INSERTs: setup speed is not what is measured).
2. Times `run_time_rules()` with the shipped default rules, twice:
   - **backlog pass**: the first pass over the whole backlog, firing every
     rule on every ticket that is due (thousands of notices, reminders and
     status changes through tickets.actions);
   - **steady pass**: the next scheduled pass, five minutes later, which
     only fires for tickets that crossed a threshold in those minutes.
3. Writes the figures to bench/results/rules-time-pass-<date>[-label].json.

Outgoing mail is queued in the outbox but not sent during the pass
(Celery not eager, as with workers): sending is the workers' job.
It never asserts timings: figures are for people to read and compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tiski_rules_bench"
TARGET_SECONDS = 10.0
# Share of tickets per status, and how old they are: a busy desk's backlog.
STATUS_MIX = (("new", 0.15), ("open", 0.55), ("pending", 0.20), ("on_hold", 0.10))
MAX_AGE_DAYS = 30
ASSIGNED_SHARE = 0.8


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
    # Mail goes to the outbox; workers (not this process) would send it.
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(count: int, now: datetime, seed: int = 5) -> dict[str, Any]:
    """Agents, teams, contacts and `count` unsolved tickets, bulk-inserted."""
    from django.db import connection, transaction

    from tiski.accounts.models import Team, User
    from tiski.connectors.models import Mailbox
    from tiski.core.models import Sequence
    from tiski.customers.models import Contact, Identity
    from tiski.notifications.models import Notification
    from tiski.rules.models import RuleFiring
    from tiski.tickets.models import PRIORITY_RANK, Ticket

    rng = random.Random(seed)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE rules_rulefiring, notifications_notification, tickets_event, tickets_message,"
            " tickets_ticket_tags, tickets_ticket_ccs, tickets_ticket CASCADE"
        )
    with transaction.atomic():
        RuleFiring.objects.all().delete()
        Notification.objects.all().delete()
        Mailbox.objects.get_or_create(address="tuki@bench.example")
        teams = [Team.objects.get_or_create(name=f"Bench-tiimi {i}")[0] for i in range(4)]
        agents = []
        for i in range(20):
            agent, _ = User.objects.get_or_create(
                email=f"agent{i:02d}@bench.example",
                defaults={"name": f"Agentti {i:02d}", "language": "fi" if i % 3 else "en"},
            )
            agents.append(agent)
        contacts = list(Contact.objects.filter(notes="bench"))
        if len(contacts) < count // 5:
            new = Contact.objects.bulk_create(
                Contact(
                    name=f"Asiakas {i}",
                    language="en" if i % 4 == 0 else "fi",
                    notes="bench",
                )
                for i in range(len(contacts), count // 5)
            )
            Identity.objects.bulk_create(
                Identity(contact=c, kind="email", value=f"asiakas{c.pk}@bench.example") for c in new
            )
            contacts += new
    statuses, weights = zip(*STATUS_MIX, strict=True)
    batch: list[Ticket] = []
    for number in range(1, count + 1):
        created = now - timedelta(seconds=rng.uniform(0, MAX_AGE_DAYS * 86400))
        updated = created + (now - created) * rng.random()
        status = rng.choices(statuses, weights)[0]
        priority = rng.choices(["low", "normal", "high", "urgent"], [1, 6, 2, 1])[0]
        batch.append(
            Ticket(
                number=number,
                subject=f"Bench-tiketti {number}",
                status=status,
                priority=priority,
                priority_rank=PRIORITY_RANK[priority],
                requester=contacts[number % len(contacts)],
                assignee=rng.choice(agents) if rng.random() < ASSIGNED_SHARE else None,
                team=rng.choice(teams),
                channel="email",
                created_at=created,
                updated_at=updated,
                status_changed_at=created + (updated - created) * rng.random(),
                last_customer_message_at=created,
            )
        )
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    if batch:
        Ticket.objects.bulk_create(batch)
    Sequence.ensure_at_least("ticket_number", count)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"seconds": round(time.perf_counter() - started, 1), "tickets": count}


def backend_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL backend so far (user + system),
    read from /proc when the server runs on this machine; else None.

    What the pass costs the database, which a shared machine blurs much less
    than the time spent waiting for it (parallel query workers not included).
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_pass(now: datetime, profile: str = "") -> dict[str, Any]:
    """One pass: its seconds (noisy on a shared machine), its queries, its
    process CPU time and its PostgreSQL backend's CPU time (steadier);
    ``profile``: write a cProfile there."""
    import cProfile

    from django.db import connection

    from tiski.rules.engine import run_time_rules

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    # CPU time, not wall time: on a shared machine waiting for a core would
    # blur where the pass itself spends its time.
    profiler = cProfile.Profile(time.process_time) if profile else None
    backend_started = backend_cpu_seconds()
    started = time.perf_counter()
    cpu_started = time.process_time()
    with connection.execute_wrapper(count):
        if profiler is not None:
            profiler.enable()
        fired = run_time_rules(now=now)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
    seconds = round(time.perf_counter() - started, 3)
    cpu_seconds = round(time.process_time() - cpu_started, 3)
    backend_ended = backend_cpu_seconds()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "postgres_cpu_seconds": None
        if backend_started is None or backend_ended is None
        else round(backend_ended - backend_started, 2),
        "queries": queries,
        "fired": fired,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the tickets already there")
    parser.add_argument("--label", default="")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--profile", default="", help="write a cProfile of the backlog pass here")
    args = parser.parse_args()

    ensure_database(args.database_url)
    setup_django(args.database_url)
    from django.db import connection

    from tiski.rules.models import TimeRule
    from tiski.tickets.models import Ticket

    now = datetime.now(UTC).replace(microsecond=0)
    setup = None if args.reuse else fill(args.tickets, now)
    unsolved = Ticket.objects.unsolved().count()
    backlog = timed_pass(now, args.profile)
    steady = timed_pass(now + timedelta(minutes=5))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    result = {
        "benchmark": "rules-time-pass",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgresql": pg_version,
        },
        "data": {
            "unsolved_tickets": unsolved,
            "status_mix": dict(STATUS_MIX),
            "max_age_days": MAX_AGE_DAYS,
            "assigned_share": ASSIGNED_SHARE,
            "setup": setup,
        },
        "rules": list(TimeRule.objects.filter(active=True).values_list("name", flat=True)),
        "backlog_pass": backlog,
        "steady_pass": steady,
        "target_seconds": TARGET_SECONDS,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = f"-{args.label}" if args.label else ""
    out = RESULTS / f"rules-time-pass-{datetime.now(UTC):%Y-%m-%d}{suffix}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({"backlog_pass": backlog, "steady_pass": steady}, ensure_ascii=False))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
