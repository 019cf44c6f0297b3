"""Ingestion benchmark: `tiski import-mail` of 10,000 messages, and IMAP latency.

1. Generates an mbox of N realistic messages (Finnish and English, ~30%
   replies threaded onto earlier messages with In-Reply-To/References,
   ~10% with a 20-500 KB attachment, half with an HTML part).
2. Drops, creates and migrates a PostgreSQL database, then runs
   ``tiski import-mail`` on the mbox in a child process (the same code path
   an admin runs) and reports messages per second and the child's peak
   memory (ru_maxrss).
3. Starts a private Dovecot (tests/connectors/email/dovecot.py), runs the IMAP IDLE
   loop of tiski.connectors.email.imap in a thread of this process, APPENDs
   messages from another connection one at a time and times APPEND -> the
   message row existing (p50/p95). "On screen" adds the websocket push
   after commit, which is not measured here.

    .venv/bin/python bench/ingest.py [--messages 10000] [--latency-samples 50]
        [--database-url postgres://postgres@127.0.0.1:5432/tiski_ingest_bench]
        [--keep-mbox PATH] [--skip-import] [--skip-latency] [--profile]

Figures go to bench/results/ingest-<date>.json and the README's section.
Benchmarks measure; they never assert.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import mailbox as mailboxes
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
README = ROOT / "bench" / "README.md"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tiski_ingest_bench"
MAILBOX = "tuki@tiski-bench.example"
TARGET_RATE = 200.0
TARGET_LATENCY = 5.0

FIRST = [
    "Maija",
    "Matti",
    "Liisa",
    "Juha",
    "Aino",
    "Mikko",
    "Sanna",
    "Pekka",
    "Emma",
    "John",
    "Sarah",
    "David",
    "Laura",
    "Ville",
    "Kaisa",
    "Tuomas",
    "Anna",
    "Oskari",
    "Helmi",
    "James",
]
LAST = [
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Smith",
    "Brown",
    "Lehtonen",
    "Saarinen",
    "Wilson",
]
DOMAINS = [
    "example.fi",
    "yritys.fi",
    "posti.example",
    "gmail.example",
    "outlook.example",
    "kauppa.fi",
    "example.com",
]
SUBJECTS_FI = [
    "Tilaus {n} ei ole saapunut",
    "Laskussa {n} virhe",
    "Palautus tilauksesta {n}",
    "Kysymys toimitusajasta",
    "Tarjouspyyntö: {n} kpl",
    "Salasana ei toimi",
    "Reklamaatio: tuote rikki",
    "Osoitteenmuutos",
    "Laskun eräpäivän siirto",
    "Kiitos nopeasta palvelusta",
]
SUBJECTS_EN = [
    "Order {n} has not arrived",
    "Wrong amount on invoice {n}",
    "Return of order {n}",
    "Question about delivery",
    "Quote request: {n} units",
    "Cannot log in",
    "Complaint: damaged product",
    "Change of address",
    "Invoice due date",
    "Thanks for the quick help",
]
BODY_FI = [
    "Hei,\n\ntilasin {date} tuotteen, mutta se ei ole vieläkään saapunut. Tilausnumero "
    "on {n}. Voisitteko tarkistaa, missä paketti on?\n\nYstävällisin terveisin\n{name}",
    "Moi,\n\nlaskussa {n} on mielestäni väärä summa: tilasin vain kaksi kappaletta. "
    "Voitteko lähettää korjatun laskun?\n\nKiitos,\n{name}",
    "Hei!\n\nHaluaisin palauttaa tuotteen, koska se ei sopinut. Miten palautus "
    "tehdään ja kauanko rahojen palautus kestää?\n\nTerveisin {name}",
]
BODY_EN = [
    "Hello,\n\nI ordered a product on {date} but it still has not arrived. My order "
    "number is {n}. Could you please check where the parcel is?\n\nKind regards,\n{name}",
    "Hi,\n\nthe invoice {n} shows the wrong amount: I only ordered two units. Please "
    "send a corrected invoice.\n\nThanks,\n{name}",
    "Hello!\n\nI would like to return the product as it did not fit. How do I do "
    "that and how long does the refund take?\n\nBest regards,\n{name}",
]
REPLY_FI = "Kiitos vastauksesta. Tarkistin vielä asian, ja {thing}.\n\nTerveisin {name}"
REPLY_EN = "Thanks for the answer. I checked again and {thing}.\n\nRegards, {name}"
THINGS_FI = [
    "paketti on nyt tullut perille",
    "ongelma jatkuu edelleen",
    "tarvitsen vielä kuitin",
    "osoite on nyt oikein",
]
THINGS_EN = [
    "the parcel has now arrived",
    "the problem still continues",
    "I still need a receipt",
    "the address is now correct",
]
ATTACHMENTS = [
    ("kuitti.pdf", "application", "pdf"),
    ("kuva.jpg", "image", "jpeg"),
    ("screenshot.png", "image", "png"),
    ("lasku.pdf", "application", "pdf"),
]


# --- generating the mbox ------------------------------------------------------------


def generate_mbox(path: Path, count: int, seed: int = 7) -> dict:
    """Write `count` messages to an mbox; what was made, for the report."""
    rnd = random.Random(seed)
    box = mailboxes.mbox(str(path), create=True)
    box.lock()
    people = [
        (f"{rnd.choice(FIRST)} {rnd.choice(LAST)}", rnd.choice(("fi", "fi", "en")))
        for _ in range(max(50, count // 4))
    ]
    sent: list[tuple[str, str, str, int, list[str]]] = []  # id, subject, text, person, refs
    stats = {"messages": 0, "replies": 0, "attachments": 0, "attachment_bytes": 0, "html": 0}
    start = dt.datetime(2024, 1, 2, 8, 0, tzinfo=dt.UTC)
    try:
        for i in range(count):
            when = start + dt.timedelta(minutes=7 * i + rnd.randint(0, 5))
            reply = sent and rnd.random() < 0.30
            if reply:
                parent_id, parent_subject, parent_text, person, refs = rnd.choice(sent[-2000:])
                name, lang = people[person]
                thing = rnd.choice(THINGS_FI if lang == "fi" else THINGS_EN)
                text = (REPLY_FI if lang == "fi" else REPLY_EN).format(thing=thing, name=name)
                quote_intro = (
                    f"{format_datetime(when - dt.timedelta(days=1))} {name} kirjoitti:"
                    if lang == "fi"
                    else f"On {format_datetime(when - dt.timedelta(days=1))}, {name} wrote:"
                )
                quoted = "\n".join("> " + line for line in parent_text.splitlines())
                text = f"{text}\n\n{quote_intro}\n{quoted}\n"
                prefix = rnd.choice(["Re: ", "VS: ", "Vs: "] if lang == "fi" else ["Re: ", "RE: "])
                subject = (
                    parent_subject
                    if parent_subject.startswith(("Re", "VS", "Vs"))
                    else (prefix + parent_subject)
                )
                refs = (refs + [parent_id])[-10:]
                stats["replies"] += 1
            else:
                person = rnd.randrange(len(people))
                name, lang = people[person]
                n = rnd.randint(10000, 99999)
                subject = rnd.choice(SUBJECTS_FI if lang == "fi" else SUBJECTS_EN).format(n=n)
                text = rnd.choice(BODY_FI if lang == "fi" else BODY_EN).format(
                    n=n, name=name, date=when.strftime("%d.%m.%Y")
                )
                refs = []
            local = re.sub(r"[^a-z]", "", name.lower().replace(" ", "."))[:20] or "asiakas"
            address = f"{local}{person}@{DOMAINS[person % len(DOMAINS)]}"
            msg = EmailMessage()
            msg["From"] = f"{name} <{address}>"
            msg["To"] = f"Tiski Tuki <{MAILBOX}>"
            msg["Subject"] = subject
            msg["Date"] = format_datetime(when)
            message_id = make_msgid(idstring=f"b{i}", domain=DOMAINS[person % len(DOMAINS)])
            msg["Message-ID"] = message_id
            if refs:
                msg["In-Reply-To"] = refs[-1]
                msg["References"] = " ".join(refs)
            msg.set_content(text)
            if rnd.random() < 0.5:
                html = "".join(f"<p>{line}</p>" for line in text.split("\n\n"))
                msg.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
                stats["html"] += 1
            if rnd.random() < 0.10:
                # Log-uniform between 20 and 500 KB: most attachments are small.
                size = int(20_000 * (25 ** rnd.random()))
                filename, maintype, subtype = rnd.choice(ATTACHMENTS)
                msg.add_attachment(
                    rnd.randbytes(size), maintype=maintype, subtype=subtype, filename=filename
                )
                stats["attachments"] += 1
                stats["attachment_bytes"] += size
            box.add(msg)
            stats["messages"] += 1
            sent.append((message_id, subject, text.split("\n\n>")[0], person, refs))
    finally:
        box.flush()
        box.unlock()
        box.close()
    stats["mbox_bytes"] = path.stat().st_size
    return stats


# --- the database -----------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def tiski(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tiski.cli", *args], cwd=ROOT, env=env, check=True, **kwargs
    )


class CpuWatch:
    """CPU seconds of the importer and of its descendants (the parse workers),
    read from /proc every 0.1 s while it runs: the last reading of each
    process counts, so a process living less than that may be missed (the
    workers live as long as the import)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.stop = threading.Event()
        self.seen: dict[int, float] = {}
        self.tick = os.sysconf("SC_CLK_TCK")

    def _cpu(self, pid: int) -> float | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        # utime and stime are the 14th and 15th fields (after the name).
        return (int(fields[11]) + int(fields[12])) / self.tick

    def _children(self, pid: int) -> list[int]:
        found = []
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                text = (task / "children").read_text().split()
                found.extend(int(child) for child in text)
        except OSError:
            pass
        return found

    def run(self) -> None:
        while not self.stop.wait(0.1):
            pending = [self.pid]
            while pending:
                pid = pending.pop()
                value = self._cpu(pid)
                if value is not None:
                    self.seen[pid] = value
                pending.extend(self._children(pid))

    def totals(self) -> dict:
        importer = self.seen.get(self.pid, 0.0)
        others = sum(v for pid, v in self.seen.items() if pid != self.pid)
        return {"importer": round(importer, 2), "workers": round(others, 2)}


def run_import(mbox: Path, env: dict, profile: Path | None) -> dict:
    """`tiski import-mail` in a child process: wall time, rate, peak memory."""
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile)]
    command += ["-m", "tiski.cli", "import-mail", str(mbox), "--mailbox", MAILBOX]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    cpu = CpuWatch(child.pid)
    watcher = threading.Thread(target=cpu.run, daemon=True)
    watcher.start()
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - started
    cpu.stop.set()
    watcher.join()
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, command, stdout, stderr)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "seconds": round(seconds, 2),
        "output": stdout.strip(),
        "cpu_seconds": cpu.totals(),
        "load_average_before": load_before,
        # ru_maxrss of the children is the largest child so far (Linux: KiB).
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "peak_rss_note": "" if peak_kb > before else "migrate child was larger",
    }


def count_rows(env: dict) -> dict:
    code = (
        "import django,json;django.setup();"
        "from tiski.tickets.models import Ticket,Message,Attachment;"
        "from tiski.connectors.models import InboundReceipt as R;"
        "print(json.dumps({'tickets':Ticket.objects.count(),'messages':Message.objects.count(),"
        "'attachments':Attachment.objects.count(),'receipts':R.objects.count(),"
        "'quarantined':R.objects.filter(status='quarantined').count()}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env | {"DJANGO_SETTINGS_MODULE": "tiski.settings"},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- IMAP arrival -> ticket latency -------------------------------------------------


def measure_imap_latency(samples: int, data_dir: Path) -> dict:
    """APPEND to a private Dovecot; time until the message row exists."""
    sys.path.insert(0, str(ROOT))
    from tests.connectors.email.dovecot import find_dovecot, start_dovecot

    binary = find_dovecot()
    if binary is None:
        return {"skipped": "dovecot not installed"}
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiski.settings")
    import django

    django.setup()
    from tiski.connectors.email import imap
    from tiski.connectors.models import Mailbox
    from tiski.desk import push
    from tiski.tickets.models import Message

    # When the desk push for each new ticket is handed to the channel layer:
    # the wrapper is in place before the first change is dispatched, so the
    # handler list (resolved by dotted path on first use) picks it up.
    pushed: dict[int, float] = {}
    original_push = push.on_ticket_change

    def timed_push(change):  # type: ignore[no-untyped-def]
        original_push(change)
        if change.created:
            pushed.setdefault(change.ticket_id, time.perf_counter())

    push.on_ticket_change = timed_push
    root = Path(tempfile.mkdtemp(prefix="tiski-dc-", dir="/tmp"))
    os.chmod(root, 0o755)
    server = start_dovecot(root, binary)
    stop = threading.Event()
    thread = None
    try:
        user = server.add_user()
        box, _ = Mailbox.objects.update_or_create(
            address=f"{user}@tiski-bench.example", defaults=server.mailbox_fields(user)
        )
        thread = threading.Thread(
            target=imap._thread_main, args=(box.pk, stop), kwargs={"poll_interval": 600}
        )
        thread.start()
        time.sleep(1.0)  # first pass done, IDLE entered
        latencies = []
        push_latencies = []
        for i in range(samples):
            message_id = f"latency-{i}-{time.time_ns()}@bench.example"
            raw = (
                f"From: Asiakas {i} <latency{i}@example.fi>\r\nTo: {box.address}\r\n"
                f"Subject: Viive {i}\r\nMessage-ID: <{message_id}>\r\n"
                f"Date: {format_datetime(dt.datetime.now(dt.UTC))}\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\nHei, missä tilaukseni on?\r\n"
            ).encode()
            with server.client(user) as client:
                client.select_folder("INBOX")
                started = time.perf_counter()
                client.append("INBOX", raw)
            ticket_id = None
            while ticket_id is None:
                ticket_id = (
                    Message.objects.filter(external_id=message_id)
                    .values_list("ticket_id", flat=True)
                    .first()
                )
                if ticket_id is None and time.perf_counter() - started > 30:
                    break
                if ticket_id is None:
                    time.sleep(0.01)
            latencies.append(time.perf_counter() - started)
            while ticket_id is not None and ticket_id not in pushed:
                if time.perf_counter() - started > 30:
                    break
                time.sleep(0.005)
            if ticket_id in pushed:
                push_latencies.append(pushed[ticket_id] - started)
            time.sleep(0.2)
    finally:
        stop.set()
        if thread is not None:
            thread.join(30)
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        push.on_ticket_change = original_push
    latencies.sort()
    push_latencies.sort()
    result = {
        "samples": len(latencies),
        "p50_s": round(statistics.median(latencies), 3),
        "p95_s": round(latencies[max(0, int(len(latencies) * 0.95) - 1)], 3),
        "max_s": round(latencies[-1], 3),
        "target_s": TARGET_LATENCY,
        "note": "APPEND returned -> message row committed, and -> the desk push handed to the "
        "channel layer (after the SLA and routing handlers). The browser then re-fetches "
        "the list over HTTP (the inbox p95 of bench/scale.py).",
    }
    if push_latencies:
        result.update(
            push_samples=len(push_latencies),
            push_p50_s=round(statistics.median(push_latencies), 3),
            push_p95_s=round(push_latencies[max(0, int(len(push_latencies) * 0.95) - 1)], 3),
        )
    return result


# --- reporting -----------------------------------------------------------------------


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}


SECTION_START = "<!-- ingest:start -->"
SECTION_END = "<!-- ingest:end -->"


def write_readme_section(result: dict) -> None:
    imp = result.get("import", {})
    lat = result.get("imap_latency", {})
    rows = [
        "| figure | value | target |",
        "|---|---|---|",
    ]
    if imp:
        rows.append(
            f"| `import-mail` rate | {imp['messages_per_second']} msg/s "
            f"({imp['messages']} messages in {imp['seconds']} s) | ≥ {TARGET_RATE:.0f} msg/s |"
        )
        rows.append(f"| peak memory of `import-mail` (ru_maxrss) | {imp['peak_rss_mb']} MB | |")
        if "cpu_ms_per_message" in imp:
            cpu = imp["cpu_ms_per_message"]
            load = imp.get("load_average_before", ["?"])[0]
            rows.append(
                f"| CPU per message: importer / its other processes (parse worker, "
                f"catch-up) | {cpu['importer']} ms / "
                f"{cpu['workers']} ms (load average {load} at the start) | |"
            )
    if lat and "p50_s" in lat:
        rows.append(
            f"| IMAP APPEND → message row (IDLE), p50 / p95 | {lat['p50_s']} s / {lat['p95_s']} s "
            f"({lat['samples']} samples) | < {TARGET_LATENCY:.0f} s |"
        )
    if lat and "push_p50_s" in lat:
        rows.append(
            f"| IMAP APPEND → desk push sent, p50 / p95 | {lat['push_p50_s']} s / "
            f"{lat['push_p95_s']} s ({lat['push_samples']} samples) | < {TARGET_LATENCY:.0f} s |"
        )
    table = "\n".join(rows)
    machine = f"{result['machine']['cores']} cores, {result['machine'].get('cpu', '')}"
    body = f"""{SECTION_START}
## Ingestion: `import-mail` and IMAP arrival (`bench/ingest.py`)

What it answers: how fast does an old shared inbox move in, and how soon
does new IMAP mail become a ticket? (Issue 4.)

```sh
# PostgreSQL must be running; the database is dropped and created.
.venv/bin/python bench/ingest.py                       # 10,000 messages + 50 IMAP samples
.venv/bin/python bench/ingest.py --messages 2000 --skip-latency --profile
# options: --database-url postgres://postgres@127.0.0.1:5432/tiski_ingest_bench
#          --latency-samples 50 --keep-mbox /tmp/bench.mbox --seed 7
```

1. **Data.** A generated mbox: Finnish and English customers, about 30%
   replies to earlier messages (In-Reply-To/References, quoted history,
   Re:/VS: subjects), 10% with one attachment of 20-500 KB (log-uniform),
   half with an HTML alternative.
2. **Import.** `tiski import-mail MBOX --mailbox {MAILBOX}` runs in a child
   process against a freshly migrated PostgreSQL database: receipt and raw
   file, parse, contact, threading, ticket, message, attachments, events,
   SLA clocks, search indexing and report facts, exactly as an admin's
   import (batches of 500 through the same intake as live mail, one
   transaction each; the next batch is parsed in a worker process and its
   raw files written by threads meanwhile; each committed batch's tickets
   are caught up by a second process while the next batch goes in). Rate =
   messages / wall time of the child, start-up included; memory = the
   child's `ru_maxrss`.
3. **IMAP latency.** A private Dovecot (its IDLE notices come within its
   1 s `mailbox_idle_check_interval`); the IDLE loop of
   `tiski.connectors.email.imap` in a thread; messages APPENDed one at a time
   from another connection; time from APPEND returning to the message row
   existing, and to the desk push for the new ticket being handed to the
   channel layer (after the SLA and routing handlers). Browsers then
   re-fetch the list over HTTP (the inbox p95 of the scale benchmark).

Where an import's time goes (`--profile`, then `pstats`): under load it
was waiting, not working. Since issue 22 the importer's one process no
longer creates the raw files itself (threads write a batch's files while
the batch before it goes to the database), reads the mbox without
`mailbox.mbox`'s per-line table of contents, looks side-conversation mails
up once per batch instead of once per reply, moves the report rollup's
cells in a few statements instead of two per hour, and writes 500 messages
per transaction instead of 100, so an import of 2,000 messages sends about
200 statements instead of 1,800, with the same rows (compared table by
table). What is left is Python: the ORM building the rows, threading, the
SLA and report recounts at the end. The parse workers also prepare each
mail (quotes folded, HTML sanitised, the preview, the language guess:
`email/prepare.py`), work the importer's process did before. Timed per
function (wall and CPU), a 3,000-message slice spent about a third of
the importer's CPU in the catch-up at the end (SLA clocks, facts, search);
that now runs in a process of its own beside the import
(`tickets/catch_up_process.py`), and the whole machine is busy for nearly
all of the run: two cores, three processes and PostgreSQL. `tests/connectors/email/
test_import_same_rows.py` compares every table after an import with one
made message by message.

Latest run ({result["date"]}, {machine}):

{table}

Details: `bench/results/ingest-<date>.json`.
{SECTION_END}"""
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    if SECTION_START in text and SECTION_END in text:
        head, rest = text.split(SECTION_START, 1)
        _old, tail = rest.split(SECTION_END, 1)
        text = head + body + tail
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    README.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency-samples", type=int, default=50)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--keep-mbox", type=Path, help="write (or reuse) the mbox here")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the import")
    parser.add_argument("--label", default="")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tiski-ingest-"))
    env = dict(os.environ, DATABASE_URL=args.database_url, TISKI_DATA_DIR=str(work / "data"))
    env.pop("REDIS_URL", None)  # embedded default: tasks run eagerly in the importing process
    os.environ.update(DATABASE_URL=args.database_url, TISKI_DATA_DIR=env["TISKI_DATA_DIR"])
    os.environ.pop("REDIS_URL", None)
    result: dict = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "database": args.database_url.rsplit("@", 1)[-1],
    }
    recreate_database(args.database_url)
    tiski(["migrate", "-v0"], env)

    if not args.skip_import:
        mbox = args.keep_mbox or work / "bench.mbox"
        if not mbox.exists():
            started = time.perf_counter()
            result["generated"] = generate_mbox(mbox, args.messages, args.seed)
            result["generated"]["seconds"] = round(time.perf_counter() - started, 1)
            print(f"generated {args.messages} messages in {result['generated']['seconds']} s")
        profile = RESULTS / f"ingest-{dt.date.today()}.prof" if args.profile else None
        imported = run_import(mbox, env, profile)
        counts = count_rows(env)
        imported["messages"] = counts["receipts"]
        imported["messages_per_second"] = round(counts["receipts"] / imported["seconds"], 1)
        imported["cpu_ms_per_message"] = {
            part: round(1000 * value / max(1, counts["receipts"]), 2)
            for part, value in imported["cpu_seconds"].items()
        }
        imported["load_average"] = [round(x, 2) for x in os.getloadavg()]
        imported["rows"] = counts
        imported["target_messages_per_second"] = TARGET_RATE
        result["import"] = imported
        print(json.dumps(imported, indent=2))

    if not args.skip_latency:
        result["imap_latency"] = measure_imap_latency(args.latency_samples, work)
        print(json.dumps(result["imap_latency"], indent=2))

    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = f"-{args.label}" if args.label else ""
    out = RESULTS / f"ingest-{dt.date.today()}{suffix}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    write_readme_section(result)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
