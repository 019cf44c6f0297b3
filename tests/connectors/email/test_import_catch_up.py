"""A large import's tickets caught up by a second process, batch by batch.

The import commits each batch; the catch-up process recomputes the SLA
clocks, search entries and report facts of that batch's tickets while the
next batch goes in. At the end nothing may be left to do: catching every
ticket up again in this process must change no row. The process runs on
PostgreSQL only, with committed data it can see.
"""

from __future__ import annotations

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
from tiski.tickets.models import Ticket

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
        call_command(
            "import_mail", str(path), mailbox=MAILBOX, parse_workers=0, stdout=StringIO()
        )

    return run


def _handed_over(monkeypatch) -> list[list[int]]:
    batches: list[list[int]] = []
    submit = catch_up_process.CatchUpProcess.submit

    def spy(self, ticket_ids: Any) -> None:
        batches.append(sorted(ticket_ids))
        submit(self, ticket_ids)

    monkeypatch.setattr(catch_up_process.CatchUpProcess, "submit", spy)
    return batches


@postgresql_only
def test_the_second_process_leaves_nothing_to_catch_up(large_import, monkeypatch):
    batches = _handed_over(monkeypatch)
    large_import()
    tickets = list(Ticket.objects.values_list("pk", flat=True))
    assert len(batches) == 9  # 60 mails in batches of 7, each handed over on commit
    assert {pk for batch in batches for pk in batch} == set(tickets)
    # A ticket answered in a later batch went again, after that batch.
    assert sum(len(batch) for batch in batches) > len(tickets)
    caught_up = snapshot()
    assert len(caught_up["TicketSla"]) == len(caught_up["TicketFact"]) == len(tickets)
    assert len(caught_up["SearchDocument"]) == len(tickets)
    assert caught_up["SlaTarget"] and caught_up["MonthlyCreated"]

    changes.catch_up(tickets)
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
