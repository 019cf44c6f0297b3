"""Web chat benchmark: many visitors over real websockets, agents answering.

    .venv/bin/python bench/chat.py [--visitors 500] [--port 8765] [--label x]
                                   [--transport socket|poll]

1. Creates the database if missing (DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/tiski_chat_bench) and migrates it;
   makes a widget, a team and an agent (available, no chat limit that matters).
2. Starts one uvicorn process (one web process) on loopback with the Redis
   channel layer (REDIS_URL, default redis://127.0.0.1:6379/0).
3. Opens N visitor sockets and keeps them all open: hello, the pre-chat
   form, one message each. Visitor -> Tiski latency: send until the ack (the
   message is a ticket message then, on the agent's side).
4. For each chat the agent answers through the ticket reply path
   (tickets.actions.add_message, as the desk does) in this process; agent ->
   visitor latency: the reply's commit until the visitor's socket gets it.
   With ``--transport poll`` the visitors speak the widget's HTTP fallback
   instead (POST /chat/<key>/send, a long GET /chat/<key>/poll waiting for
   the reply), each on its own connection, as a browser behind a proxy would.
5. Writes p50/p95 of both, how many chats were open at once in the one web
   process, and the failures to bench/results/chat-<date>[-label].json.
   Target (issue #17): 500 concurrent chats, p95 under 300 ms.

It never asserts timings: figures are for people to read and compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tiski_chat_bench"
ORIGIN = "http://bench.example"


def ensure_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str, redis: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = redis
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiski.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def prepare(visitors: int) -> tuple[str, int]:
    from tiski.accounts.models import Team, User
    from tiski.connectors.webchat.models import ChatWidget

    team, _ = Team.objects.get_or_create(name="Chat bench")
    agent = User.objects.filter(email="chat-bench@example.fi").first() or User.objects.create_user(
        email="chat-bench@example.fi", password=None, name="Bench Agent"
    )
    agent.chat_available = True
    agent.chat_limit = visitors + 10
    agent.save()
    team.members.add(agent)
    widget = ChatWidget.objects.create(
        name=f"Bench {datetime.now(UTC):%H%M%S}", allowed_origins=[ORIGIN], default_team=team
    )
    return widget.public_key, agent.pk


def start_server(port: int, url: str, redis: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tiski.asgi:application",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--ws-max-queue",
            "64",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(300):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.1)
    server.kill()
    raise SystemExit("uvicorn did not start")


def reply(ticket_id: int, agent_id: int, text: str) -> float:
    """As the desk writes a public reply; returns the moment the agent sent it
    (before the write: the latency covers the whole reply path)."""
    from django.db import connection

    from tiski.accounts.models import User
    from tiski.tickets import actions
    from tiski.tickets.models import Channel, MessageKind, Ticket, Via

    try:
        ticket = Ticket.objects.get(pk=ticket_id)
        agent = User.objects.get(pk=agent_id)
        sent = time.perf_counter()
        actions.add_message(
            ticket,
            kind=MessageKind.PUBLIC,
            actor=agent,
            via=Via.AGENT,
            text=text,
            channel=Channel.EMAIL,
        )
        return sent
    finally:
        connection.close()


def ticket_of(session_token: str) -> int | None:
    from django.db import connection

    from tiski.connectors.webchat.models import ChatSession

    try:
        return (
            ChatSession.objects.filter(visitor_token=session_token)
            .values_list("ticket_id", flat=True)
            .first()
        )
    finally:
        connection.close()


async def visitor(n: int, url: str, agent_id: int, opened: asyncio.Barrier, out: dict) -> None:
    import websockets

    waits = 2  # every visitor meets the barrier twice, failed or not
    try:
        async with websockets.connect(url, origin=ORIGIN, open_timeout=60) as ws:
            await ws.send(json.dumps({"type": "hello", "token": "", "lang": "fi"}))
            welcome = json.loads(await ws.recv())
            await ws.send(
                json.dumps({"type": "identify", "name": f"V {n}", "email": f"v{n}@bench.example"})
            )
            await ws.recv()
            await opened.wait()  # every chat is open before the timing starts
            waits -= 1
            started = time.perf_counter()
            await ws.send(
                json.dumps({"type": "message", "client_id": f"m{n}", "text": f"Kysymys {n}"})
            )
            while json.loads(await ws.recv())["type"] != "ack":
                pass
            out["to_agent"].append((time.perf_counter() - started) * 1000)
            ticket_id = await asyncio.to_thread(ticket_of, welcome["token"])
            sent = asyncio.create_task(
                asyncio.to_thread(reply, ticket_id, agent_id, f"Vastaus {n}")
            )
            while json.loads(await ws.recv())["type"] != "reply":
                pass
            arrived = time.perf_counter()
            out["to_visitor"].append((arrived - await sent) * 1000)
            out["held"] += 1
            waits -= 1
            await opened.wait()  # hold every chat open until all have finished
    except Exception as exc:  # a failed chat is counted, not fatal
        out["failures"].append(f"{type(exc).__name__}: {exc}"[:200])
        for _ in range(waits):
            await opened.wait()


async def http(port: int, method: str, path: str, body: dict | None = None, token: str = ""):  # type: ignore[no-untyped-def]
    """One HTTP/1.1 request on its own connection (the standard library has no
    async client): (status, JSON body)."""
    data = json.dumps(body).encode() if body is not None else b""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {ORIGIN}\r\n"
        f"Connection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n"
    )
    if token:
        head += f"X-Chat-Token: {token}\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode() + b"\r\n" + data)
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    payload = rest.partition(b"\r\n\r\n")[2]
    return int(status_line.split()[1]), json.loads(payload) if payload else None


async def poll_visitor(
    n: int, port: int, key: str, agent_id: int, opened: asyncio.Barrier, out: dict
) -> None:
    """As ``visitor``, over the long-polling fallback."""
    send = f"/chat/{key}/send"
    waits = 2
    holding = None
    try:
        _, answer = await http(port, "POST", send, {"type": "hello", "token": "", "lang": "fi"})
        token = answer["events"][0]["token"]
        await http(
            port,
            "POST",
            send,
            {"type": "identify", "token": token, "name": f"V {n}", "email": f"v{n}@bench.example"},
        )
        await opened.wait()
        waits -= 1
        waiting = asyncio.create_task(http(port, "GET", f"/chat/{key}/poll?after=0", token=token))
        started = time.perf_counter()
        _, answer = await http(
            port,
            "POST",
            send,
            {"type": "message", "token": token, "client_id": f"m{n}", "text": f"Kysymys {n}"},
        )
        assert answer["events"][0]["type"] == "ack", answer
        out["to_agent"].append((time.perf_counter() - started) * 1000)
        ticket_id = await asyncio.to_thread(ticket_of, token)
        sent = asyncio.create_task(asyncio.to_thread(reply, ticket_id, agent_id, f"Vastaus {n}"))
        after = 0
        while True:
            _, answer = await waiting
            replies = [e for e in answer["events"] if e["type"] == "reply"]
            if replies:
                break
            waiting = asyncio.create_task(
                http(port, "GET", f"/chat/{key}/poll?after={after}", token=token)
            )
        arrived = time.perf_counter()
        out["to_visitor"].append((arrived - await sent) * 1000)
        # The next poll waits while every other chat finishes: a chat held open.
        after = replies[-1]["item"]["id"]
        holding = asyncio.create_task(
            http(port, "GET", f"/chat/{key}/poll?after={after}", token=token)
        )
        out["held"] += 1
        waits -= 1
        await opened.wait()
    except Exception as exc:  # a failed chat is counted, not fatal
        out["failures"].append(f"{type(exc).__name__}: {exc}"[:200])
        for _ in range(waits):
            await opened.wait()
    finally:
        if holding is not None:
            holding.cancel()


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 1)


async def run(visitors: int, port: int, key: str, agent_id: int, transport: str) -> dict:
    url = f"ws://127.0.0.1:{port}/ws/chat/{key}/"
    out: dict = {"to_agent": [], "to_visitor": [], "failures": [], "held": 0}
    barrier = asyncio.Barrier(visitors + 1)
    if transport == "poll":
        chats = [poll_visitor(n, port, key, agent_id, barrier, out) for n in range(visitors)]
    else:
        chats = [visitor(n, url, agent_id, barrier, out) for n in range(visitors)]
    tasks = [asyncio.create_task(chat) for chat in chats]
    await barrier.wait()
    await barrier.wait()
    await asyncio.gather(*tasks)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visitors", type=int, default=500)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--label", default="")
    parser.add_argument("--transport", choices=("socket", "poll"), default="socket")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    ensure_database(url)
    setup_django(url, redis)
    key, agent_id = prepare(args.visitors)
    server = start_server(args.port, url, redis)
    try:
        began = time.perf_counter()
        out = asyncio.run(run(args.visitors, args.port, key, agent_id, args.transport))
        wall = time.perf_counter() - began
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # A loaded machine can keep the graceful shutdown busy: the
            # figures are measured already, so they are still written.
            server.kill()
            server.wait()
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
        "visitors": args.visitors,
        "transport": args.transport,
        "held_open_at_once": out["held"],
        "failures": len(out["failures"]),
        "failure_examples": out["failures"][:5],
        "visitor_to_agent_ms": {
            "p50": pct(out["to_agent"], 0.5),
            "p95": pct(out["to_agent"], 0.95),
        },
        "agent_to_visitor_ms": {
            "p50": pct(out["to_visitor"], 0.5),
            "p95": pct(out["to_visitor"], 0.95),
        },
        "mean_ms": {
            "visitor_to_agent": round(statistics.mean(out["to_agent"]), 1)
            if out["to_agent"]
            else None,
            "agent_to_visitor": round(statistics.mean(out["to_visitor"]), 1)
            if out["to_visitor"]
            else None,
        },
        "wall_seconds": round(wall, 1),
        "target": "500 concurrent chats, p95 < 300 ms",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"chat-{datetime.now(UTC):%Y-%m-%d}{'-' + args.label if args.label else ''}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
