"""`import-mail` writes exactly the rows the one-message path writes.

The importer takes shortcuts for speed (batches of receipts, parsing and
preparing in worker processes, rows a table at a time). Whatever it does,
every table must end up as if each message had been accepted and
processed on its own, in order, as live mail is (`accept` then
`process_receipt`): tickets, messages, attachments, receipts, events,
contacts, SLA rows, report facts and the search index. Both runs use the
import's handler regime (`changes.deferred` then `catch_up`), since
imported history deliberately skips the live handlers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mailbox as mailboxes
import random
from email.message import EmailMessage
from email.utils import format_datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models, transaction

from tiski.connectors.email.intake import process_receipt
from tiski.connectors.management.commands import import_mail
from tiski.connectors.receipts import accept
from tiski.tickets import changes

from .conftest import FIXTURES

MAILBOX = "tuki@tiski.example"
NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
# Rows whose value is the database's own clock, not the application's, or a
# random token (the desk's lists version changes with the mailbox made).
NOT_COMPARED = {
    ("search", "searchdocument", "updated_at"),
    ("core", "desksettings", "lists_version"),
}


# --- the mail ---------------------------------------------------------------------


def generated(count: int, seed: int = 3) -> list[bytes]:
    """Customers writing and answering, in Finnish and English: replies with
    quoted history (text and HTML), copied people, attachments, a repeat."""
    rnd = random.Random(seed)
    sent: list[tuple[str, str, str, int]] = []
    raws: list[bytes] = []
    start = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
    for i in range(count):
        when = start + dt.timedelta(minutes=9 * i)
        msg = EmailMessage()
        if sent and rnd.random() < 0.4:
            parent_id, subject, text, person = rnd.choice(sent[-15:])
            quoted = "\n".join("> " + line for line in text.splitlines())
            body = (
                f"Kiitos, asia {i} jatkuu.\n\nTerveisin\nAsiakas {person}\n\n"
                f"{format_datetime(when)} Asiakas {person} kirjoitti:\n{quoted}\n"
            )
            msg["In-Reply-To"] = parent_id
            msg["References"] = parent_id
            subject = subject if subject.startswith("Re:") else f"Re: {subject}"
        else:
            person = rnd.randrange(12)
            subject = rnd.choice(["Tilaus {n} puuttuu", "Invoice {n} is wrong", "Palautus {n}"])
            subject = subject.format(n=rnd.randint(100, 999))
            body = (
                f"Hei,\n\nviesti {i}: tilaus ei ole tullut.\n\n"
                f"Ystävällisin terveisin\nAsiakas {person}\n"
            )
        message_id = f"<g{i}.{seed}@asiakas{person}.example>"
        msg["From"] = f"Asiakas {person} <asiakas{person}@asiakas{person % 4}.example>"
        msg["To"] = f"Tiski Tuki <{MAILBOX}>"
        if rnd.random() < 0.15:
            msg["Cc"] = f"Kollega {person} <kollega{person}@asiakas{person % 4}.example>"
        msg["Subject"] = subject
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = message_id
        msg.set_content(body)
        if rnd.random() < 0.5:
            paragraphs = "".join(f"<p>{part}</p>" for part in body.split("\n\n"))
            if "kirjoitti:" in body:
                paragraphs = paragraphs.replace("<p>" + format_datetime(when), "<blockquote><p>")
                paragraphs += "</blockquote>"
            msg.add_alternative(
                f'<html><body>{paragraphs}<img src="https://track.example/p.gif"></body></html>',
                subtype="html",
            )
        if rnd.random() < 0.2:
            msg.add_attachment(
                rnd.randbytes(rnd.randint(200, 4000)),
                maintype="application",
                subtype="pdf",
                filename=f"liite-{i}.pdf",
            )
        raw = bytes(msg)
        raws.append(raw)
        if rnd.random() < 0.05:
            raws.append(raw)  # the same message twice in the inbox
        sent.append((message_id, subject, body.split("\n\n")[1], person))
    return raws


def fixture_mail() -> list[bytes]:
    return [path.read_bytes() for path in sorted(FIXTURES.glob("*.eml"))]


def write_mbox(path: Path, raws: list[bytes]) -> Path:
    box = mailboxes.mbox(str(path))
    for raw in raws:
        box.add(raw)
    box.flush()
    box.close()
    return path


# --- what the database holds --------------------------------------------------------


def _models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def _file_digest(value: Any) -> str:
    if not value:
        return ""
    try:
        with value.open("rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return "missing"


def snapshot() -> dict[str, Any]:
    """Every table as a sorted list of rows, in terms that do not depend on
    ids or ticket numbers the database handed out (they differ between two
    runs on PostgreSQL): a reference to a row becomes the row's place in
    its table, a ticket number its place among the numbers."""
    ranks: dict[type[models.Model], dict[Any, int]] = {}
    for model in _models():
        ranks[model] = {
            pk: n
            for n, pk in enumerate(model._base_manager.order_by("pk").values_list("pk", flat=True))
        }
    from tiski.connectors.models import InboundReceipt
    from tiski.tickets.models import Message, Ticket

    ticket_model = Ticket
    numbers = {
        number: n
        for n, number in enumerate(
            ticket_model.objects.order_by("number").values_list("number", flat=True)
        )
    }
    message_ranks = ranks[Message]
    receipt_ranks = ranks[InboundReceipt]

    def number(value: Any) -> Any:
        try:
            return ("number", numbers[int(value)])
        except (TypeError, ValueError, KeyError):
            return value

    def plain(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: plain(v, k) for k, v in sorted(value.items())}
        if isinstance(value, list):
            return [plain(v, key) for v in value]
        if key == "receipt" and isinstance(value, int):
            return ("receipt", receipt_ranks.get(value))
        if key == "message_id" and isinstance(value, int):
            return ("message", message_ranks.get(value))
        if key in ("follow_up_of", "not_participant"):
            return number(value)
        return value

    tables: dict[str, Any] = {}
    for model in _models():
        fields = [f for f in model._meta.concrete_fields]
        rows = []
        for obj in model._base_manager.order_by("pk"):
            row = []
            for f in fields:
                label = (model._meta.app_label, model._meta.model_name, f.name)
                if label in NOT_COMPARED:
                    continue
                value = getattr(obj, f.attname)
                if f.is_relation:
                    known = ranks.get(f.related_model, {})
                    value = ("ref", known[value]) if value in known else value
                elif f.primary_key:
                    continue
                elif isinstance(f, models.FileField):
                    value = _file_digest(getattr(obj, f.name))
                elif isinstance(f, models.JSONField):
                    value = plain(value)
                elif model is ticket_model and f.name == "number":
                    value = number(value)
                row.append((f.name, repr(value)))
            rows.append(tuple(row))
        tables[model._meta.label] = sorted(rows)
    if connection.vendor == "sqlite":
        tickets = ranks[ticket_model]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid, subject, people, body, lemmas, parts FROM search_ticket_fts"
            )
            tables["fts"] = sorted((tickets.get(r[0]), *r[1:]) for r in cursor.fetchall())
    return tables


class _Rollback(Exception):
    pass


# PostgreSQL hands ticket numbers out of a sequence, which a rollback does
# not rewind: put it back, so both runs number (and match "[#n]") alike.
NUMBERS = "tiski_number_ticket_number"


def _numbers_at() -> tuple[int, bool] | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [NUMBERS])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(f"SELECT last_value, is_called FROM {NUMBERS}")
        return cursor.fetchone()


def _rewind_numbers(state: tuple[int, bool] | None) -> None:
    if state is not None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(%s, %s, %s)", [NUMBERS, *state])


def written_by(work) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """What ``work`` writes, read before it is rolled back."""
    taken: dict[str, Any] = {}
    numbers = _numbers_at()
    try:
        with transaction.atomic(), time_machine.travel(NOW, tick=False):
            work()
            taken["snapshot"] = snapshot()
            raise _Rollback
    except _Rollback:
        pass
    _rewind_numbers(numbers)
    return taken["snapshot"]


def import_command(path: Path, workers: int):  # type: ignore[no-untyped-def]
    def work() -> None:
        call_command(
            "import_mail",
            str(path),
            "--mailbox",
            MAILBOX,
            "--parse-workers",
            str(workers),
            stdout=StringIO(),
        )

    return work


def one_by_one(path: Path):  # type: ignore[no-untyped-def]
    """Each message accepted and processed alone, as live mail is."""
    from tiski.connectors.models import Mailbox

    def work() -> None:
        mailbox, _created = Mailbox.objects.get_or_create(address=MAILBOX)
        with changes.deferred() as touched:
            for _label, raw in import_mail.iter_messages(path):
                receipt, created = accept(
                    source="import",
                    key=hashlib.sha256(raw).hexdigest(),
                    raw=raw,
                    mailbox=mailbox,
                    suppress_automatic_mail=True,
                    schedule=False,
                )
                if created:
                    process_receipt(receipt.pk)
        changes.catch_up(touched)

    return work


def assert_same(got: dict[str, Any], expected: dict[str, Any]) -> None:
    assert got.keys() == expected.keys()
    differ = [name for name in expected if got[name] != expected[name]]
    for name in differ:  # the first differing rows, for the failure message
        missing = [r for r in expected[name] if r not in got[name]][:2]
        extra = [r for r in got[name] if r not in expected[name]][:2]
        print(name, "\n  expected:", missing, "\n  got:", extra)
    assert differ == []


@pytest.mark.parametrize("workers", [0, 1])
def test_import_writes_the_rows_one_by_one_writes(db, tmp_path, monkeypatch, workers):
    """Generated conversations and the fixtures' real-format mail (replies,
    HTML, attachments, a bounce, an out-of-office, broken MIME, a repeat),
    over several batches, with and without a parse worker: every table is
    the same as when each message is processed on its own."""
    monkeypatch.setattr(import_mail, "BATCH", 9)
    raws = generated(40)
    raws[12:12] = fixture_mail()
    path = write_mbox(tmp_path / "mixed.mbox", raws)
    expected = written_by(one_by_one(path))
    got = written_by(import_command(path, workers))
    tickets = expected["tickets.Ticket"]
    assert len(tickets) > 20 and len(expected["tickets.Attachment"]) > 3
    assert any("fold_text_at" in repr(row) for row in expected["tickets.Message"])
    assert_same(got, expected)


# Known, and older than the importer's worker preparation: when someone is
# first copied on one mail and then writes themselves later in the same
# batch, the batch creates their contact from their own mail (its name and
# language) and the CC event names them so, where one by one creates it from
# the copy (the copier's name for them, the default language) and renames
# it on their own mail. Strict: the day the batch matches, these pass and
# the mark must go.
_COPIED_THEN_WRITES = pytest.mark.xfail(
    strict=True, reason="a person copied, then writing, in one batch: contact made differently"
)


@pytest.mark.parametrize(
    "folder",
    [
        pytest.param("talon", marks=_COPIED_THEN_WRITES),
        "crisp-reply-parser",
        pytest.param("flanker", marks=_COPIED_THEN_WRITES),
    ],
)
def test_corpus_import_writes_the_rows_one_by_one_writes(db, tmp_path, corpora, folder):
    """Real mail from other projects' suites: the same rows either way."""
    root = corpora / folder
    if not root.is_dir():
        pytest.skip(f"{folder} not present")
    raws = [raw for _label, raw in import_mail.iter_messages(root)]
    path = write_mbox(tmp_path / "corpus.mbox", raws)
    expected = written_by(one_by_one(path))
    got = written_by(import_command(path, 1))
    assert_same(got, expected)
