"""A large import's tickets caught up by a second process, batch by batch.

The import commits each batch; the catch-up process recomputes the SLA
clocks, search entries and report facts of that batch's tickets while the
next batch goes in. At the end nothing may be left to do: catching every
ticket up again in this process must change no row. The process runs on
PostgreSQL only, with committed data it can see.
"""

from __future__ import annotations

import email
import os
import random
import subprocess
import sys
from email.message import EmailMessage
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from tiski.connectors.management.commands import import_mail
from tiski.reports.models import (
    ContactTotals,
    DailyVolume,
    HourlyVolume,
    MonthlyCreated,
    MonthlyFigure,
    MonthlyReplies,
    ReplyFact,
    TicketFact,
)
from tiski.search.models import SearchDocument
from tiski.sla.models import Calendar, SlaPolicy, SlaTarget, TicketSla
from tiski.tickets import catch_up_process, changes
from tiski.tickets.models import Message, Ticket

from .test_import_same_rows import generated, write_mbox

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the catch-up process runs on PostgreSQL only"
)

MAILBOX = "tuki@tiski.example"
# The moment a row was computed, not what was computed.
CLOCKS = {"computed_at", "refreshed_at", "updated_at"}
CAUGHT_UP = [
    TicketSla,
    SlaTarget,
    SearchDocument,
    TicketFact,
    ReplyFact,
    HourlyVolume,
    DailyVolume,
    MonthlyCreated,
    MonthlyFigure,
    MonthlyReplies,
    ContactTotals,
]


def snapshot() -> dict[str, list[str]]:
    found = {}
    for model in CAUGHT_UP:
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname not in CLOCKS and not (f.primary_key and f.attname == "id")
        ]
        found[model.__name__] = sorted(repr(row) for row in model.objects.values_list(*names))
    return found


@pytest.fixture
def large_import(transactional_db, tmp_path, monkeypatch):
    """An mbox of 60 generated mails, imported in batches of 7 as a large one."""
    calendar = Calendar.objects.create(name="Arki", weekly_hours={"0": "08:00-16:00"})
    SlaPolicy.objects.create(
        name="Kaikki",
        calendar=calendar,
        targets={"normal": {"first_reply": 120, "resolution": 960}},
    )
    monkeypatch.setattr(import_mail, "BATCH", 7)
    monkeypatch.setattr(import_mail, "LARGE_BYTES", 0)
    path = write_mbox(tmp_path / "vanha.mbox", generated(60))

    def run() -> None:
        call_command("import_mail", str(path), mailbox=MAILBOX, parse_workers=0, stdout=StringIO())

    return run


def _handed_over(monkeypatch) -> list[list[int]]:
    batches: list[list[int]] = []
    submit = catch_up_process.CatchUpProcess.submit

    def spy(self, ticket_ids: Any) -> None:
        batches.append(sorted(ticket_ids))
        submit(self, ticket_ids)

    monkeypatch.setattr(catch_up_process.CatchUpProcess, "submit", spy)
    return batches


def _batches_of_tickets(size: int) -> list[set[int]]:
    """The tickets each batch of ``size`` mails of the import touched (a mail
    there twice touches nothing the second time)."""
    ticket_of = dict(Message.objects.values_list("external_id", "ticket_id"))
    raws = generated(60)
    found = [ticket_of[email.message_from_bytes(raw)["Message-ID"].strip("<>")] for raw in raws]
    return [set(found[start : start + size]) for start in range(0, len(found), size)]


@postgresql_only
def test_the_second_process_leaves_nothing_to_catch_up(large_import, monkeypatch):
    batches = _handed_over(monkeypatch)
    here: list[list[int]] = []
    catch_up = changes.catch_up
    monkeypatch.setattr(changes, "catch_up", lambda ids: (here.append(sorted(ids)), catch_up(ids)))
    large_import()
    tickets = list(Ticket.objects.values_list("pk", flat=True))
    touched = _batches_of_tickets(7)
    assert len(batches) == len(touched) == 9  # handed over as each batch commits
    # A batch's tickets go over when the next batch commits, less those it
    # touched again; the last batch's are caught up by the importer itself.
    assert batches[0] == []
    for index, handed in enumerate(batches[1:], start=1):
        assert set(handed) == touched[index - 1] - touched[index]
    assert here == [sorted(touched[-1])]
    assert {pk for batch in batches for pk in batch} | touched[-1] == set(tickets)
    # A ticket answered two batches later went twice, after each.
    assert sum(len(batch) for batch in batches) + len(touched[-1]) > len(tickets)
    caught_up = snapshot()
    assert len(caught_up["TicketSla"]) == len(caught_up["TicketFact"]) == len(tickets)
    assert len(caught_up["SearchDocument"]) == len(tickets)
    assert caught_up["SlaTarget"] and caught_up["MonthlyCreated"]

    catch_up(tickets)
    assert snapshot() == caught_up


@postgresql_only
def test_a_failed_process_leaves_the_catch_up_to_the_importer(large_import, monkeypatch):
    made = []
    real = catch_up_process.CatchUpProcess

    def failing() -> catch_up_process.CatchUpProcess:
        # A database that is not there: the process fails at its first query.
        name = connection.settings_dict["NAME"]
        connection.settings_dict["NAME"] = "tiski_no_such_database"
        try:
            helper = real()
        finally:
            connection.settings_dict["NAME"] = name
        made.append(helper)
        return helper

    monkeypatch.setattr(catch_up_process, "CatchUpProcess", failing)
    large_import()
    assert made and made[0].finish() is False
    tickets = list(Ticket.objects.values_list("pk", flat=True))
    caught_up = snapshot()
    assert len(caught_up["TicketFact"]) == len(caught_up["SearchDocument"]) == len(tickets)
    changes.catch_up(tickets)
    assert snapshot() == caught_up


@postgresql_only
def test_tickets_for_an_ended_process_never_block_the_import(transactional_db):
    """Its pipe holds some 64 KB; a large import hands over far more than that."""
    import threading

    name = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = "tiski_no_such_database"
    try:
        helper = catch_up_process.CatchUpProcess()
    finally:
        connection.settings_dict["NAME"] = name
    helper._process.join(30)
    assert helper._process.exitcode not in (None, 0)
    handing = threading.Thread(
        target=lambda: [helper.submit(range(n, n + 5000)) for n in range(0, 500_000, 5000)],
        daemon=True,
    )
    handing.start()
    handing.join(10)
    assert not handing.is_alive()
    assert helper.finish() is False


def test_an_import_inside_a_transaction_catches_up_itself(db, tmp_path, monkeypatch):
    """The other process could not see rows this transaction has not committed
    (and on SQLite there is none)."""
    monkeypatch.setattr(import_mail, "LARGE_BYTES", 0)
    monkeypatch.setattr(
        catch_up_process, "CatchUpProcess", lambda: pytest.fail("no second process here")
    )
    path = write_mbox(tmp_path / "vanha.mbox", generated(12))
    call_command("import_mail", str(path), mailbox=MAILBOX, parse_workers=0, stdout=StringIO())
    tickets = Ticket.objects.count()
    assert tickets and TicketFact.objects.count() == tickets


def test_a_folder_is_large_by_the_bytes_under_it(tmp_path):
    """A few files in a folder start no worker and no second process."""
    folder = tmp_path / "vanhat"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.eml").write_bytes(b"x" * 600)
    assert not import_mail._at_least(folder, 1000)
    (folder / "sub" / "b.eml").write_bytes(b"x" * 400)
    assert import_mail._at_least(folder, 1000)
    assert import_mail._at_least(folder / "a.eml", 600)
    assert not import_mail._at_least(folder / "a.eml", 601)


def test_a_process_with_a_connection_or_threads_spawns_the_helper(db):
    """A fork would share the open connection, or copy a lock another thread holds."""
    connection.ensure_connection()
    assert catch_up_process.start_method() == "spawn"


FORKED = """
import sys
from tiski.tickets import catch_up_process

made = catch_up_process.CatchUpProcess.__init__

def noted(self):
    made(self)
    print("helper started by", self.method, file=sys.stderr)

catch_up_process.CatchUpProcess.__init__ = noted
from tiski.cli import main
main(["tiski", "import-mail", sys.argv[1], "--mailbox", sys.argv[2]])
"""


@postgresql_only
def test_the_command_forks_its_helper_before_it_connects(transactional_db, tmp_path):
    """`tiski import-mail` starts the helper before it opens a connection or a
    thread: forked, it starts with Django set up and catches up as a spawned one."""
    calendar = Calendar.objects.create(name="Arki", weekly_hours={"0": "08:00-16:00"})
    SlaPolicy.objects.create(
        name="Kaikki",
        calendar=calendar,
        targets={"normal": {"first_reply": 120, "resolution": 960}},
    )
    large = EmailMessage()
    large["From"] = "Iso Liite <iso@asiakas.example>"
    large["To"] = MAILBOX
    large["Subject"] = "Kuvat"
    large["Message-ID"] = "<kuvat@asiakas.example>"
    large.set_content("Kuvat liitteenä.")
    large.add_attachment(
        random.Random(5).randbytes(import_mail.LARGE_BYTES),
        maintype="image",
        subtype="jpeg",
        filename="kuvat.jpg",
    )
    path = write_mbox(tmp_path / "vanha.mbox", [*generated(60), bytes(large)])
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        TISKI_DATA_DIR=str(tmp_path / "data"),
        DJANGO_SETTINGS_MODULE="tiski.settings",
    )
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", FORKED, str(path), MAILBOX],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "helper started by fork" in done.stderr
    tickets = list(Ticket.objects.values_list("pk", flat=True))
    assert len(tickets) > 30
    caught_up = snapshot()
    assert len(caught_up["TicketSla"]) == len(caught_up["TicketFact"]) == len(tickets)
    assert len(caught_up["SearchDocument"]) == len(tickets)
    changes.catch_up(tickets)
    assert snapshot() == caught_up


def test_the_first_batch_is_smaller():
    """It is parsed alone before anything can be written; the rest fill the pipeline."""
    mails = ((str(n), b"x" * 10) for n in range(23))
    sizes = [len(batch) for batch in import_mail.batches(mails, 10, first=3)]
    assert sizes == [3, 10, 10]
    mails = ((str(n), b"x" * 10) for n in range(23))
    assert [len(b) for b in import_mail.batches(mails, 10, max_bytes=45, first=3)] == [
        3,
        5,
        5,
        5,
        5,
    ]


@postgresql_only
def test_a_failed_import_still_catches_up_what_it_committed(large_import, monkeypatch):
    """The batch committed last was held for the next hand-over; the error
    must not leave it behind."""
    write = import_mail.Command._import_batch
    calls = []

    def failing_third(self, *args, **kwargs) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("levy täynnä")
        write(self, *args, **kwargs)

    monkeypatch.setattr(import_mail.Command, "_import_batch", failing_third)
    with pytest.raises(RuntimeError):
        large_import()
    tickets = list(Ticket.objects.values_list("pk", flat=True))
    assert tickets  # two batches went in
    caught_up = snapshot()
    assert len(caught_up["TicketFact"]) == len(caught_up["SearchDocument"]) == len(tickets)
    assert len(caught_up["TicketSla"]) == len(tickets)
    changes.catch_up(tickets)
    assert snapshot() == caught_up
