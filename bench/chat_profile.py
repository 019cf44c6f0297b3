"""Where one chat message's time goes, in-process: queries and cProfile.

    DATABASE_URL=postgres://... .venv/bin/python bench/chat_profile.py [--chats 12] [--top 30]

Writes first messages (each opens a ticket) and then a follow-up on each of
``--chats`` identified chats through the web chat's own call
(``protocol._receive``: the message, the heartbeat, then the ticket-change
handlers, all in this process as tasks run in place without REDIS_URL), and
prints for the last of each kind: the queries and milliseconds before the
ack (the message committed) and after it, per handler, then the mean over
all but the first two (warm-up) and the cProfile of the follow-ups. Timings
on a shared machine are indicative; the query counts are exact.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=12)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    os.environ.pop("REDIS_URL", None)  # tasks in place: every handler here, measured
    from chat import DEFAULT_URL, ensure_database, prepare, setup_django

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    setup_django(url, "")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tiski.connectors.webchat import protocol, services
    from tiski.connectors.webchat.models import ChatWidget
    from tiski.tickets import changes

    key, _agent, _cookie = prepare(args.chats)
    widget = ChatWidget.objects.get(public_key=key)
    per_handler: Counter = Counter()
    per_handler_ms: Counter = Counter()
    call = changes._call

    def counted(handler, change) -> None:  # type: ignore[no-untyped-def]
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            call(handler, change)
        name = handler.__module__
        per_handler[name] += len(queries.captured_queries)
        per_handler_ms[name] += (time.perf_counter() - began) * 1000

    changes._call = counted
    acked: dict = {}

    def ack(frame: dict) -> None:
        acked["at"] = time.perf_counter()
        acked["queries"] = len(connection.queries) - acked["base"]

    sessions = []
    for n in range(args.chats):
        session = services.start_session(widget, "fi")
        services.identify(session, name=f"P {n}", email=f"p{n}-{time.time()}@profile.example")
        sessions.append(session)
    profile = cProfile.Profile()
    for label in ("first", "follow-up"):
        rows = []
        for n, session in enumerate(sessions):
            session = services.session_for(widget, session.visitor_token)
            per_handler.clear()
            per_handler_ms.clear()
            profiling = label == "follow-up" and n >= 2
            with CaptureQueriesContext(connection) as queries:
                acked["base"] = len(connection.queries)
                began = time.perf_counter()
                if profiling:
                    profile.enable()
                protocol._receive(session, label, f"{label} {n}", ack)
                if profiling:
                    profile.disable()
                ended = time.perf_counter()
            rows.append(
                {
                    "to_ack_ms": round((acked["at"] - began) * 1000, 1),
                    "to_ack_queries": acked["queries"],
                    "total_ms": round((ended - began) * 1000, 1),
                    "total_queries": len(queries.captured_queries),
                    "handlers": {k: v for k, v in per_handler.items() if v},
                    "handlers_ms": {k: round(v, 1) for k, v in per_handler_ms.items() if v > 0.5},
                }
            )
        print(label, "(the last):", rows[-1])
        warm = rows[2:] or rows
        for field in ("to_ack_ms", "total_ms"):
            print(f"  mean {field}: {sum(r[field] for r in warm) / len(warm):.1f}")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
