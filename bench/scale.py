"""Scale benchmark: the agent desk over HTTP against PostgreSQL with a million tickets.

    .venv/bin/python bench/scale.py --tickets 1000000 [--reuse] [--requests 100]

1. Makes sure the database exists (DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/tiski_bench), migrates it and fills it
   with `generate-data` unless ``--reuse`` finds the tickets already there.
   Without ``--reuse`` the database is dropped and rebuilt, and the
   generation time is recorded.
2. Starts the real server (`tiski run --no-migrate`) as a subprocess, logs
   in through /login/ like a browser (CSRF token and session cookie) as a
   non-admin agent, and times N requests per page after a warm-up.
3. Writes p50/p95/p99 and the web process's resident memory to
   bench/results/scale-<date>[-label].json and the table in bench/README.md.

It never asserts timings: figures are for people to read and compare.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
README = ROOT / "bench" / "README.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tiski_bench"
AGENT = "agent01@tiski-data.example"
ADMIN = "admin@tiski-data.example"
BENCH_SUBJECT = "Benchmark: a ticket with 50 messages"
BENCH_SUBJECT_500 = "Benchmark: a ticket with 500 messages"
TABLE_START = "<!-- scale-results:start -->"
TABLE_END = "<!-- scale-results:end -->"
# Targets from issues 7 and 22, in milliseconds (p95) and megabytes.
TARGETS = {
    "inbox": 150,
    "inbox_filtered": 150,
    "ticket_50_messages": 50,
    "ticket_500_messages": 80,
    "view_counts": 50,
    "search_selective": 200,
    "search_common": 500,
    # Issue 16: the top bar's suggestions while typing.
    "typeahead_prefix": 100,
    "typeahead_number": 100,
}
RSS_TARGET_MB = 200


# --- database -------------------------------------------------------------------


def ensure_database(url: str, *, fresh: bool) -> None:
    """Create the benchmark database if missing; drop it first when ``fresh``."""
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


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiski.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare_data(tickets: int, *, reuse: bool, seed: int) -> dict[str, Any]:
    """Migrate, generate when needed, and make the 50-message ticket; returns facts."""
    from django.core.management import call_command

    from tiski.operations.generate import generate
    from tiski.tickets.models import Ticket

    facts: dict[str, Any] = {}
    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0, skip_checks=True)
    facts["migrate_seconds"] = round(time.monotonic() - started, 1)
    existing = Ticket.objects.count()
    if reuse and existing >= tickets:
        print(f"Reusing {existing:,} tickets.")
        facts["generated"] = False
    else:
        missing = tickets - existing if reuse else tickets
        print(f"Generating {missing:,} tickets ...")
        result = generate(missing, seed=seed, stdout=sys.stdout)
        facts["generated"] = True
        facts["generation"] = {
            "tickets": result.tickets,
            "messages": result.messages,
            "events": result.events,
            "contacts": result.contacts,
            "seconds": round(result.seconds, 1),
            "tickets_per_second": round(result.tickets / result.seconds),
        }
    facts["long_ticket"] = long_ticket_number()
    facts["longer_ticket"] = long_ticket_number(500, BENCH_SUBJECT_500)
    facts.update(build_search_index())
    return facts


def build_search_index() -> dict[str, Any]:
    """Generated tickets bypass the actions, so the search index is rebuilt once."""
    from django.apps import apps
    from django.core.management import call_command, get_commands

    if "reindex" not in get_commands() or not apps.is_installed("tiski.search"):
        return {}
    from tiski.search.models import SearchDocument
    from tiski.tickets.models import Ticket

    missing = Ticket.objects.count() - SearchDocument.objects.count()
    if missing <= 0:
        return {}
    print(f"Indexing {missing:,} tickets for search ...")
    started = time.monotonic()
    call_command("reindex", missing=True, skip_checks=True)
    return {"search_index": {"tickets": missing, "seconds": round(time.monotonic() - started, 1)}}


def long_ticket_number(messages: int = 50, subject: str = BENCH_SUBJECT) -> int:
    """A ticket with ``messages`` messages the agent can see, written through the actions."""
    from tiski.accounts.models import User
    from tiski.customers.models import Contact
    from tiski.tickets import actions
    from tiski.tickets.models import MessageKind, Ticket, Via

    agent = User.objects.get(email=AGENT)
    found = Ticket.objects.filter(subject=subject).values_list("number", flat=True).first()
    if found:
        return found
    team = agent.teams.filter(restricted=False).first()
    contact = Contact.objects.order_by("id").first()
    ticket = actions.create_ticket(
        requester=contact,
        subject=subject,
        text="Hei, tässä pitkän keskustelun ensimmäinen viesti.",
        actor=None,
        via=Via.CHANNEL,
        channel="email",
        team=team,
    )
    for n in range(1, messages):
        kind = MessageKind.PUBLIC if n % 2 else MessageKind.CUSTOMER
        actions.add_message(
            ticket,
            kind=kind,
            actor=agent if kind != MessageKind.CUSTOMER else None,
            author_contact=contact if kind == MessageKind.CUSTOMER else None,
            via=Via.AGENT if kind != MessageKind.CUSTOMER else Via.CHANNEL,
            channel="email",
            text=f"Viesti {n}: " + "Kiitos, selvitämme asiaa ja palaamme pian. " * 6,
        )
    return ticket.number


def database_facts() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        counts = {}
        for table in (
            "tickets_ticket",
            "tickets_message",
            "tickets_event",
            "customers_contact",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM tickets_ticket WHERE status IN ('new','open','pending','on_hold')"
        )
        unsolved = cursor.fetchone()[0]
    return {
        "postgresql": version,
        "counts": counts,
        "unsolved_tickets": unsolved,
        "database_mb": round(size / 2**20),
    }


def selective_search_term() -> str:
    """An order number that appears in exactly one ticket's first message."""
    from tiski.tickets.models import Message

    text = (
        Message.objects.filter(kind="customer", text__contains="Tilausnumero")
        .order_by("-id")
        .values_list("text", flat=True)
        .first()
    ) or ""
    match = re.search(r"(\d{6})", text)
    return match.group(1) if match else "Papumylly"


# --- HTTP -----------------------------------------------------------------------


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def login(self, email: str, password: str) -> None:
        status, body = self.get("/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or not token:
            raise RuntimeError(f"no login form ({status})")
        data = urllib.parse.urlencode(
            {
                "username": email,
                "password": password,
                "csrfmiddlewaretoken": token.group(1).decode(),
            }
        ).encode()
        request = urllib.request.Request(
            self.base + "/login/", data=data, headers={"Referer": self.base + "/login/"}
        )
        with self.opener.open(request, timeout=60) as response:
            if "/login/" in response.url:
                raise RuntimeError(f"login as {email} failed")


@dataclass
class Measure:
    name: str
    path: str
    user: str
    count: int
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    mean_ms: float = 0.0
    max_ms: float = 0.0
    bytes: int = 0
    errors: int = 0
    note: str = ""
    target_p95_ms: float | None = None


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure(
    client: Client,
    name: str,
    path: str,
    user: str,
    *,
    count: int,
    warmup: int,
    headers: dict[str, str] | None = None,
) -> Measure:
    for _ in range(warmup):
        client.get(path, headers)
    times: list[float] = []
    errors = 0
    size = 0
    for _ in range(count):
        started = time.perf_counter()
        status, body = client.get(path, headers)
        times.append((time.perf_counter() - started) * 1000)
        size = len(body)
        errors += status != 200
    result = Measure(
        name=name,
        path=path,
        user=user,
        count=count,
        p50_ms=round(percentile(times, 50), 1),
        p95_ms=round(percentile(times, 95), 1),
        p99_ms=round(percentile(times, 99), 1),
        mean_ms=round(statistics.fmean(times), 1),
        max_ms=round(max(times), 1),
        bytes=size,
        errors=errors,
        target_p95_ms=TARGETS.get(name),
    )
    print(
        f"  {name:<22} {user:<6} p50 {result.p50_ms:7.1f}  p95 {result.p95_ms:7.1f}  "
        f"p99 {result.p99_ms:7.1f} ms  errors {errors}"
    )
    return result


def start_server(url: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    tiski = ROOT / ".venv" / "bin" / "tiski"
    command = [
        str(tiski),
        "run",
        "--no-migrate",
        "--no-scheduler",
        "--skip-checks",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(  # noqa: S603 - our own command
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:  # noqa: S310
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"server did not start, see {log}")


def memory_of(pid: int) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _sep, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    return values


def machine() -> dict[str, Any]:
    memory_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kb = int(line.split()[1])
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 2**20, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


# --- results --------------------------------------------------------------------


@dataclass
class Report:
    date: str
    label: str
    machine: dict[str, Any]
    database: dict[str, Any]
    data: dict[str, Any]
    settings: dict[str, Any]
    results: list[Measure] = field(default_factory=list)
    memory_mb: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def write_results(report: Report) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = f"-{report.label}" if report.label else ""
    path = RESULTS / f"scale-{report.date[:10]}{suffix}.json"
    payload = asdict(report)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    update_readme(report, path)
    return path


def markdown_table(report: Report) -> str:
    db = report.database
    counts = db["counts"]
    lines = [
        f"Run {report.date} {report.label or ''}: {report.machine['nproc']} cores "
        f"({report.machine['cpu']}), {report.machine['memory_gb']} GB RAM, "
        f"PostgreSQL {db['postgresql']}; {counts['tickets_ticket']:,} tickets, "
        f"{counts['tickets_message']:,} messages, {counts['tickets_event']:,} events, "
        f"{db['unsolved_tickets']:,} unsolved; database {db['database_mb']:,} MB.",
        "",
        "| page | user | p50 ms | p95 ms | p99 ms | target p95 | note |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for m in report.results:
        target = f"{m.target_p95_ms:.0f}" if m.target_p95_ms else ""
        note = m.note or (f"{m.errors} errors" if m.errors else "")
        lines.append(
            f"| {m.name} (`{m.path}`) | {m.user} | {m.p50_ms} | {m.p95_ms} | {m.p99_ms} |"
            f" {target} | {note} |"
        )
    mem = report.memory_mb
    lines.append(
        f"| web process memory | | RSS {mem.get('VmRSS', '?')} MB | peak {mem.get('VmHWM', '?')}"
        f" MB | | {RSS_TARGET_MB} MB | after the run |"
    )
    generation = report.data.get("generation")
    if generation:
        lines += [
            "",
            f"Generation: {generation['tickets']:,} tickets, {generation['messages']:,} messages,"
            f" {generation['events']:,} events in {generation['seconds']:,} s"
            f" ({generation['tickets_per_second']:,} tickets/s).",
        ]
    for note in report.notes:
        lines.append(f"\n{note}")
    return "\n".join(lines)


def update_readme(report: Report, path: Path) -> None:
    if not README.exists():
        return
    text = README.read_text()
    if TABLE_START not in text or TABLE_END not in text:
        return
    head, rest = text.split(TABLE_START, 1)
    _old, tail = rest.split(TABLE_END, 1)
    body = markdown_table(report) + f"\n\nRaw figures: `{path.relative_to(ROOT)}`.\n"
    README.write_text(f"{head}{TABLE_START}\n{body}{TABLE_END}{tail}")


# --- main -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="Keep the data when it is there.")
    parser.add_argument("--requests", type=int, default=100, help="Timed requests per page.")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="", help="Suffix for the results file.")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        parser.error("the scale benchmark runs against PostgreSQL")

    ensure_database(args.database_url, fresh=not args.reuse)
    setup_django(args.database_url)
    from django.conf import settings

    from tiski.operations.generate import DEFAULT_PASSWORD

    data = prepare_data(args.tickets, reuse=args.reuse, seed=args.seed)
    report = Report(
        date=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        label=args.label,
        machine=machine(),
        database=database_facts(),
        data=data,
        settings={
            "conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE"),
            "page_size": settings.TISKI_PAGE_SIZE,
            "requests": args.requests,
            "warmup": args.warmup,
        },
    )
    search_term = selective_search_term()

    log = RESULTS / "server.log"
    RESULTS.mkdir(parents=True, exist_ok=True)
    server = start_server(args.database_url, args.port, log)
    try:
        base = f"http://127.0.0.1:{args.port}"
        agent = Client(base)
        agent.login(AGENT, DEFAULT_PASSWORD)
        admin = Client(base)
        admin.login(ADMIN, DEFAULT_PASSWORD)
        pages: list[tuple[str, str, dict[str, str] | None]] = [
            ("inbox", "/", None),
            ("inbox_filtered", "/?view=open&priority=high&channel=email", None),
            ("inbox_solved", "/?view=solved", None),
            ("ticket_50_messages", f"/tickets/{data['long_ticket']}/", None),
            ("ticket_500_messages", f"/tickets/{data['longer_ticket']}/", None),
            ("view_counts", "/tickets/counts/", {"Accept": "application/json"}),
        ]
        has_search = agent.get("/search/?q=test")[0] == 200
        if has_search:
            pages += [
                ("search_selective", f"/search/?q={urllib.parse.quote(search_term)}", None),
                ("search_common", "/search/?q=kiitos", None),
                # The top bar's dropdown as the agent types: a common word's
                # first letters, and the first digits of an order number.
                ("typeahead_prefix", "/search/suggest/?q=kii", None),
                ("typeahead_number", f"/search/suggest/?q={search_term[:4]}", None),
            ]
        else:
            report.notes.append("Search: no /search/ page answered 200; skipped.")
        print("Measuring as agent (agent01, member of teams, not admin):")
        for name, path, headers in pages:
            report.results.append(
                measure(
                    agent,
                    name,
                    path,
                    "agent",
                    count=args.requests,
                    warmup=args.warmup,
                    headers=headers,
                )
            )
        print("Measuring as admin (sees everything):")
        for name, path, headers in pages[:2] + pages[4:5]:
            report.results.append(
                measure(
                    admin,
                    name,
                    path,
                    "admin",
                    count=args.requests,
                    warmup=args.warmup,
                    headers=headers,
                )
            )
        report.memory_mb = memory_of(server.pid)
        print(f"Web process memory: {report.memory_mb}")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    path = write_results(report)
    print(f"Results: {path}")


if __name__ == "__main__":
    main()
