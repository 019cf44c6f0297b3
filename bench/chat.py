"""Web chat benchmark: N visitors' chats held open at once, agents answering.

    .venv/bin/python bench/chat.py [--visitors 500] [--mode steady|burst]
        [--interval 30] [--messages 3] [--transport socket|poll]
        [--worker-concurrency 1] [--port 8765] [--label x]

1. Creates the database if missing (DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/tiski_chat_bench) and migrates it;
   makes a widget, a team and an agent (available, no chat limit that matters).
2. Starts what a deployment at scale runs: one uvicorn process (the one web
   process every visitor talks to) and one Celery worker (``tiski worker``),
   both on the Redis channel layer and broker (REDIS_URL, default
   redis://127.0.0.1:6379/1).
3. The agent's desk: one desk websocket, logged in as the agent, as a
   browser tab on the inbox holds it.
4. Opens N visitor chats (hello, the pre-chat form) and keeps them all open
   to the end: ``held_open_at_once`` is how many the one web process carried.
   Opening is not timed; it goes twenty at a time.
5. Then the messages, timed each:
   - ``steady`` (what the target means): every visitor writes ``--messages``
     messages, one every ``--interval`` seconds, the first at a random moment
     of the first interval, so N / interval messages a second reach the
     process; every visitor also sends the widget's heartbeat (``ping``)
     every 20 s, as the widget does;
   - ``burst``: every visitor sends its message at the same instant (the
     worst case: N new tickets at once).
   For each message: ``to_ack`` (the visitor's send until the ack: the
   message is stored), ``to_agent`` (the send until the agent's desk socket
   hears of it: the agent's screen shows it next), and, when the agent has
   answered it (through ``tickets.actions.add_message`` in two agent
   processes of this bench, with its change handlers, as a desk process
   does), ``to_visitor`` (the agent's
   send, before the write, until the visitor's chat has the reply);
   ``to_worker`` (the send until the desk's second push of the message, the
   worker's after its change handlers, waited for up to 30 s after the last
   chat: how far the worker is behind). First messages (each opens a ticket) and
   later ones are reported apart.
   ``--transport poll`` runs the visitors over the widget's HTTP fallback
   (POST /chat/<key>/send, one long GET /chat/<key>/poll waiting each).
6. Writes p50/p95/max of each to bench/results/chat-<date>[-label].json with
   the machine's load average and the CPU seconds each process used (the
   web process, the worker, this client, the agents' processes). Target
   (issue #17): 500 concurrent chats on a 2-core machine, p95 under 300 ms.

It never asserts timings: figures are for people to read and compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tiski_chat_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/1"
ORIGIN = "http://bench.example"
PING_SECONDS = 20  # the widget's heartbeat
OPENING_AT_ONCE = 20
REPLY_WAIT = 120.0  # a reply not there by then is counted as lost
WORKER_WAIT = 30.0  # the worker's second pushes waited for after the last chat


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


def prepare(visitors: int) -> tuple[str, int, str]:
    """The widget's key, the agent's id and a logged-in session cookie for the desk."""
    from django.test import Client

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
    client = Client()
    client.force_login(agent)
    warm_up()
    return widget.public_key, agent.pk, client.cookies["sessionid"].value


def agent_process(url: str, redis: str) -> None:
    """An agents' process: the desk writes replies in a process of its own.

    The replies used to run in threads of this client, and their change
    handlers (tens of ms of CPU each) held the client's interpreter while
    its event loop was to timestamp the visitors' and the desk's frames: at
    500 chats the client's own queue was part of every figure."""
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = redis
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiski.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    warm_up()


def cpu_seconds(pid: int, descendants: bool = True) -> float:
    """CPU seconds (user + system) of a process and (``descendants``) its live
    descendants, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        # After the name: state, ppid, ... utime and stime are fields 14 and 15.
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        if descendants:
            todo.extend(children.get(current, []))
    return total


def warm_up() -> None:
    """This process writes the agents' replies as a desk process would, and a
    desk process has long imported its URLconf and change handlers: the first
    reply must not be timed with those imports."""
    from django.conf import settings
    from django.urls import get_resolver

    from tiski.tickets import changes

    _ = get_resolver().reverse_dict
    changes._handlers(tuple(settings.TISKI_TICKET_CHANGE_HANDLERS))


def start(command: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env)


def start_server(port: int, env: dict) -> subprocess.Popen:
    server = start(
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
        env,
    )
    for _ in range(600):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.1)
    server.kill()
    raise SystemExit("uvicorn did not start")


def start_worker(concurrency: int, env: dict) -> subprocess.Popen:
    return start(
        [
            sys.executable,
            "-m",
            "tiski.cli",
            "worker",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
        ],
        env,
    )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        # A loaded machine can keep a graceful shutdown busy: the figures
        # are measured already, so they are still written.
        process.kill()
        process.wait()


# --- the agent -------------------------------------------------------------------------


def reply(ticket_id: int, agent_id: int, text: str) -> float:
    """As the desk writes a public reply (with its change handlers, in this
    process); returns the moment the agent sent it, before the write."""
    from django.db import connection

    from tiski.accounts.models import User
    from tiski.connectors.routes import reply_channel
    from tiski.tickets import actions
    from tiski.tickets.models import MessageKind, Ticket, Via

    try:
        ticket = Ticket.objects.get(pk=ticket_id)
        agent = User.objects.get(pk=agent_id)
        sent = time.perf_counter()
        # As the composer: the conversation's route (the chat while the
        # visitor is there) decides the channel.
        channel, meta = reply_channel(ticket)
        actions.add_message(
            ticket,
            kind=MessageKind.PUBLIC,
            actor=agent,
            via=Via.AGENT,
            text=text,
            channel=channel,
            meta=meta or None,
        )
        return sent
    finally:
        connection.close()


class Desk:
    """The agent's desk socket: when each message reached the agent's screen."""

    def __init__(self, port: int, cookie: str) -> None:
        self.url = f"ws://127.0.0.1:{port}/ws/desk/"
        self.cookie = cookie
        self.seen: dict[int, tuple[float, int]] = {}  # message id -> (moment, ticket id)
        self.again: dict[int, float] = {}  # message id -> the moment of its second push
        self.waiting: dict[int, asyncio.Future] = {}

    async def run(self, ready: asyncio.Event) -> None:
        import websockets

        async with websockets.connect(
            self.url,
            origin=f"http://{urllib.parse.urlsplit(self.url).netloc}",
            additional_headers={"Cookie": f"sessionid={self.cookie}"},
            open_timeout=120,
            ping_interval=None,
            max_queue=None,
        ) as ws:
            ready.set()
            async for raw in ws:
                event = json.loads(raw)
                message_id = event.get("message_id")
                if event.get("type") != "ticket.changed" or not message_id:
                    continue
                if message_id in self.seen:
                    # The worker's second push, after the SLA refresh: when it
                    # came says how far the worker is behind.
                    self.again.setdefault(message_id, time.perf_counter())
                    continue
                self.seen[message_id] = (time.perf_counter(), event["ticket_id"])
                future = self.waiting.pop(message_id, None)
                if future is not None and not future.done():
                    future.set_result(self.seen[message_id])

    async def heard(self, message_id: int) -> tuple[float, int]:
        if message_id in self.seen:
            return self.seen[message_id]
        future = self.waiting.setdefault(message_id, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(future, REPLY_WAIT)


# --- the visitors, over a socket or over HTTP --------------------------------------------


class SocketVisitor:
    def __init__(self, n: int, port: int, key: str) -> None:
        self.n = n
        self.url = f"ws://127.0.0.1:{port}/ws/chat/{key}/"
        self.acks: dict[str, asyncio.Future] = {}
        self.replies: dict[str, asyncio.Future] = {}  # by the reply text
        self.answers: asyncio.Queue = asyncio.Queue()

    async def open(self) -> None:
        import websockets

        self.ws = await websockets.connect(
            self.url, origin=ORIGIN, open_timeout=120, ping_interval=None
        )
        self.reader = asyncio.create_task(self._read())
        await self.ws.send(json.dumps({"type": "hello", "token": "", "lang": "fi"}))
        await asyncio.wait_for(self.answers.get(), 120)
        identify = {"type": "identify", "name": f"V {self.n}", "email": f"v{self.n}@bench.example"}
        await self.ws.send(json.dumps(identify))
        await asyncio.wait_for(self.answers.get(), 120)

    async def _read(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "ack":
                _resolve(self.acks, frame["client_id"], frame["id"])
            elif kind == "reply":
                _resolve(self.replies, frame["item"]["text"], time.perf_counter())
            elif kind in ("welcome", "identified", "error"):
                await self.answers.put(frame)

    async def send(self, client_id: str, text: str) -> int:
        future = self.acks.setdefault(client_id, asyncio.get_running_loop().create_future())
        await self.ws.send(json.dumps({"type": "message", "client_id": client_id, "text": text}))
        return await asyncio.wait_for(future, REPLY_WAIT)

    async def ping(self) -> None:
        await self.ws.send(json.dumps({"type": "ping"}))

    async def reply_arrived(self, text: str) -> float:
        future = self.replies.setdefault(text, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(future, REPLY_WAIT)

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()


class PollVisitor(SocketVisitor):
    """The widget's HTTP fallback: a POST per frame, one long GET waiting for replies."""

    def __init__(self, n: int, port: int, key: str) -> None:
        super().__init__(n, port, key)
        self.port = port
        self.key = key
        self.token = ""

    async def _post(self, frame: dict) -> list[dict]:
        _status, answer = await http(
            self.port, "POST", f"/chat/{self.key}/send", {**frame, "token": self.token}
        )
        return answer["events"]

    async def open(self) -> None:
        (welcome,) = await self._post({"type": "hello", "lang": "fi"})
        self.token = welcome["token"]
        await self._post({"type": "identify", "name": f"V {self.n}", "email": f"v{self.n}@b.ex"})
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        after = 0
        while True:
            path = f"/chat/{self.key}/poll?after={after}"
            _status, answer = await http(self.port, "GET", path, token=self.token)
            for event in answer["events"]:
                if event["type"] == "reply":
                    after = max(after, event["item"]["id"])
                    _resolve(self.replies, event["item"]["text"], time.perf_counter())

    async def send(self, client_id: str, text: str) -> int:
        events = await self._post({"type": "message", "client_id": client_id, "text": text})
        (ack,) = [e for e in events if e["type"] == "ack"]
        return ack["id"]

    async def ping(self) -> None:
        await self._post({"type": "ping"})

    async def close(self) -> None:
        self.reader.cancel()


def _resolve(futures: dict[str, asyncio.Future], key: str, value: object) -> None:
    future = futures.setdefault(key, asyncio.get_running_loop().create_future())
    if not future.done():
        future.set_result(value)


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


# --- one run -------------------------------------------------------------------------------


@dataclass
class Figures:
    first: dict[str, list[float]] = field(
        default_factory=lambda: {"to_ack": [], "to_agent": [], "to_visitor": [], "to_worker": []}
    )
    later: dict[str, list[float]] = field(
        default_factory=lambda: {"to_ack": [], "to_agent": [], "to_visitor": [], "to_worker": []}
    )
    # message id -> (the visitor's send, a first message): `to_worker` is
    # worked out at the end, when the worker's second pushes have come.
    sent: dict[int, tuple[float, bool]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    failure_kinds: dict[str, int] = field(default_factory=dict)
    opened: int = 0
    held: int = 0
    messages: int = 0


@dataclass
class Plan:
    visitors: int
    mode: str
    interval: float
    messages: int
    transport: str
    port: int
    key: str
    agent_id: int


async def chat(
    visitor: SocketVisitor,
    plan: Plan,
    desk: Desk,
    agents: Executor,
    start_at: asyncio.Future,
    figures: Figures,
) -> None:
    """One visitor's messages, each timed to the ack, the agent's screen and back."""
    loop = asyncio.get_running_loop()
    began = await start_at
    offset = 0.0 if plan.mode == "burst" else random.uniform(0, plan.interval)
    for number in range(plan.messages):
        await asyncio.sleep(max(0.0, began + offset + number * plan.interval - time.perf_counter()))
        kind = figures.first if number == 0 else figures.later
        text = f"Kysymys {visitor.n}.{number}"
        sent = time.perf_counter()
        message_id = await _stage("ack", visitor.send(f"m{number}", text), number)
        kind["to_ack"].append((time.perf_counter() - sent) * 1000)
        seen, ticket_id = await _stage("desk", desk.heard(message_id), number)
        kind["to_agent"].append((seen - sent) * 1000)
        answer = f"Vastaus {visitor.n}.{number}"
        arrived = asyncio.ensure_future(visitor.reply_arrived(answer))
        written = await loop.run_in_executor(agents, reply, ticket_id, plan.agent_id, answer)
        kind["to_visitor"].append((await _stage("reply", arrived, number) - written) * 1000)
        figures.sent[message_id] = (sent, number == 0)
        figures.messages += 1


async def _stage(name: str, waiting, number: int):  # type: ignore[no-untyped-def]
    """Which wait of which message ran out, for the failure examples."""
    try:
        return await waiting
    except TimeoutError:
        raise TimeoutError(f"no {name} within {REPLY_WAIT:.0f} s for message {number}") from None


async def heartbeat(visitor: SocketVisitor, until: asyncio.Event) -> None:
    while not until.is_set():
        try:
            await asyncio.wait_for(until.wait(), PING_SECONDS * random.uniform(0.8, 1.2))
        except TimeoutError:
            await visitor.ping()


async def run(plan: Plan, cookie: str, agents: Executor) -> Figures:
    figures = Figures()
    desk = Desk(plan.port, cookie)
    desk_ready = asyncio.Event()
    desk_task = asyncio.create_task(desk.run(desk_ready))
    await asyncio.wait_for(desk_ready.wait(), 120)
    kind = PollVisitor if plan.transport == "poll" else SocketVisitor
    visitors = [kind(n, plan.port, plan.key) for n in range(plan.visitors)]
    gate = asyncio.Semaphore(OPENING_AT_ONCE)

    async def open_one(visitor: SocketVisitor) -> SocketVisitor | None:
        async with gate:
            try:
                await visitor.open()
                return visitor
            except Exception as exc:  # a chat that never opened is counted, not fatal
                figures.failures.append(f"open: {type(exc).__name__}: {exc}"[:200])
                return None

    opened = [v for v in await asyncio.gather(*(open_one(v) for v in visitors)) if v]
    figures.opened = len(opened)
    start_at = asyncio.get_running_loop().create_future()
    done = asyncio.Event()
    beats = [asyncio.create_task(heartbeat(v, done)) for v in opened if plan.mode == "steady"]
    chats = [asyncio.create_task(chat(v, plan, desk, agents, start_at, figures)) for v in opened]
    start_at.set_result(time.perf_counter() + 0.5)
    results = await asyncio.gather(*chats, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            figures.failures.append(f"chat: {type(result).__name__}: {result}"[:200])
    figures.failure_kinds = dict(Counter(f.split(" for message")[0] for f in figures.failures))
    # The worker's second push of each message, however late it comes (up to
    # WORKER_WAIT after the last chat ends): how far the worker is behind.
    waited_until = time.perf_counter() + WORKER_WAIT
    while time.perf_counter() < waited_until and not figures.sent.keys() <= desk.again.keys():
        await asyncio.sleep(0.2)
    for message_id, (sent, first) in figures.sent.items():
        if message_id in desk.again:
            kind = figures.first if first else figures.later
            kind["to_worker"].append((desk.again[message_id] - sent) * 1000)
    # Every chat that is still open at the end was held through the whole run.
    figures.held = sum(1 for v in opened if _still_open(v))
    done.set()
    await asyncio.gather(*beats, return_exceptions=True)
    await asyncio.gather(*(v.close() for v in opened), return_exceptions=True)
    desk_task.cancel()
    return figures


def _still_open(visitor: SocketVisitor) -> bool:
    if isinstance(visitor, PollVisitor):
        return not visitor.reader.done()
    from websockets.protocol import State

    return visitor.ws.state is State.OPEN


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 1)


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": pct(values, 0.5),
        "p95": pct(values, 0.95),
        "max": round(max(values), 1) if values else None,
        "mean": round(statistics.mean(values), 1) if values else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visitors", type=int, default=500)
    parser.add_argument("--mode", choices=("steady", "burst"), default="steady")
    parser.add_argument("--interval", type=float, default=30.0, help="steady: seconds between")
    parser.add_argument("--messages", type=int, default=0, help="per visitor (steady 3, burst 1)")
    parser.add_argument("--transport", choices=("socket", "poll"), default="socket")
    parser.add_argument("--worker-concurrency", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    messages = args.messages or (3 if args.mode == "steady" else 1)
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    redis = os.environ.get("REDIS_URL", DEFAULT_REDIS)
    ensure_database(url)
    setup_django(url, redis)
    key, agent_id, cookie = prepare(args.visitors)
    from django.conf import settings

    # The desk socket's session cookie was signed with this process's key.
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis, "SECRET_KEY": settings.SECRET_KEY}
    worker = start_worker(args.worker_concurrency, env)
    server = start_server(args.port, env)
    plan = Plan(
        args.visitors, args.mode, args.interval, messages, args.transport, args.port, key, agent_id
    )
    # Two agents' processes (a desk deployment's other processes), started
    # and warmed before the clock runs; their replies are timed inside them
    # (perf_counter is the system's monotonic clock, the same in every process).
    agents = ProcessPoolExecutor(
        max_workers=2,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=agent_process,
        initargs=(url, redis),
    )
    list(agents.map(time.sleep, [0.5, 0.5]))
    processes = {"web": server.pid, "worker": worker.pid, "client": os.getpid()}
    processes.update({f"agents_{i}": pid for i, pid in enumerate(agents._processes)})
    load_before = os.getloadavg()
    # The client's own CPU: the others are its children.
    own = {"client"}
    cpu_before = {name: cpu_seconds(pid, name not in own) for name, pid in processes.items()}
    try:
        began = time.perf_counter()
        figures = asyncio.run(run(plan, cookie, agents))
        wall = time.perf_counter() - began
        cpu = {
            name: round(cpu_seconds(pid, name not in own) - cpu_before[name], 1)
            for name, pid in processes.items()
        }
    finally:
        agents.shutdown(wait=False, cancel_futures=True)
        stop(server)
        stop(worker)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
        "load_average_before_after": [round(load_before[0], 1), round(os.getloadavg()[0], 1)],
        "mode": args.mode,
        "transport": args.transport,
        "visitors": args.visitors,
        "messages_per_visitor": messages,
        "interval_seconds": args.interval if args.mode == "steady" else None,
        "visitor_messages_per_second": round(args.visitors / args.interval, 1)
        if args.mode == "steady"
        else None,
        "opened": figures.opened,
        "held_open_at_once": figures.held,
        "messages_answered": figures.messages,
        "failures": len(figures.failures),
        "failure_kinds": figures.failure_kinds,
        "failure_examples": figures.failures[:5],
        "first_message_ms": {name: summary(v) for name, v in figures.first.items()},
        "later_messages_ms": {name: summary(v) for name, v in figures.later.items()},
        "all_messages_ms": {
            name: summary(figures.first[name] + figures.later[name]) for name in figures.first
        },
        "wall_seconds": round(wall, 1),
        "cpu_seconds": cpu,
        "target": "500 concurrent chats, p95 < 300 ms",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"chat-{datetime.now(UTC):%Y-%m-%d}{'-' + args.label if args.label else ''}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
