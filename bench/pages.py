"""The desk's heaviest pages timed in-process: where the milliseconds go.

bench/scale.py times the real server over HTTP; this one calls the same
pages through Django's test client inside one process, so the time is the
view, its queries, the middleware and the templates, without the network
or uvicorn. It prints p50/p95 and the query count per page and, with
``--profile NAME``, the cProfile of that page's requests (in CPU time;
``--profile-out FILE`` keeps it for pstats).

    DATABASE_URL=postgres://... .venv/bin/python bench/pages.py --requests 100
    ... bench/pages.py --profile ticket_50_messages --sort cumulative

It reads the data bench/scale.py leaves (the generated desk and its two
long tickets) and writes nothing but sessions.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiski.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")


def pages() -> list[tuple[str, str, str]]:
    from scale import ADMIN, AGENT, BENCH_SUBJECT, BENCH_SUBJECT_500

    from tiski.tickets.models import Ticket

    def number(subject: str) -> int:
        return Ticket.objects.filter(subject=subject).values_list("number", flat=True).get()

    return [
        ("inbox", "/", AGENT),
        ("inbox_filtered", "/?view=open&priority=high&channel=email", AGENT),
        ("ticket_50_messages", f"/tickets/{number(BENCH_SUBJECT)}/", AGENT),
        ("ticket_500_messages", f"/tickets/{number(BENCH_SUBJECT_500)}/", AGENT),
        ("view_counts", "/tickets/counts/", AGENT),
        ("inbox_admin", "/", ADMIN),
        ("view_counts_admin", "/tickets/counts/", ADMIN),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--only", help="comma-separated page names")
    parser.add_argument("--profile", help="a page name: print its cProfile")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--profile-out", help="also save the profile (pstats) to this file")
    parser.add_argument("--lines", type=int, default=45)
    parser.add_argument("--show-queries", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from tiski.accounts.models import User

    clients: dict[str, Client] = {}
    only = set(args.only.split(",")) if args.only else None
    for name, url, email in pages():
        if only and name not in only and name != args.profile:
            continue
        if args.profile and name != args.profile:
            continue
        client = clients.get(email)
        if client is None:
            client = clients[email] = Client()
            client.force_login(User.objects.get(email=email))
        accept = {"HTTP_ACCEPT": "application/json"} if "counts" in name else {}
        for _ in range(args.warmup):
            response = client.get(url, **accept)
            assert response.status_code == 200, (name, response.status_code)
        # The test client's request_started resets connection.queries, so count
        # with a wrapper instead.
        queries: list[tuple[str, float]] = []

        def count(run, sql, *rest, seen=queries):  # noqa: ANN001, ANN202
            started = time.perf_counter()
            try:
                return run(sql, *rest)
            finally:
                seen.append((sql, (time.perf_counter() - started) * 1000))

        with connection.execute_wrapper(count):
            client.get(url, **accept)
        # Timed in this process's CPU time: on a shared machine the wall clock
        # charges a function for the time others ran while it waited.
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        times = []
        # This process's CPU time as well: on a machine others load, the wall
        # clock mostly measures them; the CPU time is the page's own Python.
        cpu = []
        for _ in range(args.requests):
            started = time.perf_counter()
            cpu_started = time.process_time()
            if profiler:
                profiler.enable()
            client.get(url, **accept)
            if profiler:
                profiler.disable()
            cpu.append((time.process_time() - cpu_started) * 1000)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(
            f"{name:22} p50 {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  "
            f"cpu p50 {statistics.median(cpu):6.1f} ms  "
            f"queries {len(queries):3} ({sum(ms for _sql, ms in queries):5.1f} ms, one request)  "
            f"bytes {len(response.content):7}"
        )
        if args.show_queries:
            print("\n".join(f"{ms:6.1f} ms  {sql[:300]}" for sql, ms in queries))
        if profiler:
            if args.profile_out:
                profiler.dump_stats(args.profile_out)
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)


if __name__ == "__main__":
    main()
