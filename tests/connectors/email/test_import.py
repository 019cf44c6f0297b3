"""`tiski import-mail`: .eml files, folders, mbox and Maildir; counted, dated, idempotent."""

from __future__ import annotations

import mailbox as mailboxes
import re
from email.message import EmailMessage
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from tiski.connectors.email.parse import UnparsableEmail, parse_email
from tiski.connectors.models import InboundReceipt, Mailbox
from tiski.tickets.models import Attachment, Message, Ticket

from .conftest import FIXTURES


def run_import(path: Path, *args: str) -> dict:
    out = StringIO()
    with translation.override("en"):  # the counts line is parsed by its English words
        call_command("import_mail", str(path), "--mailbox", "Tuki@Tiski.example", *args, stdout=out)
    counts = {}
    for part in out.getvalue().strip().split(", "):
        name, _sep, value = part.rpartition(": ")
        counts[name] = int(value)
    return counts


def conversation_mbox(path: Path) -> Path:
    box = mailboxes.mbox(str(path))
    for i, (msg_id, reply_to) in enumerate(
        [("a1@x.fi", None), ("a2@x.fi", "a1@x.fi"), ("b1@y.fi", None)]
    ):
        msg = EmailMessage()
        msg["From"] = f"Asiakas {i} <asiakas{0 if reply_to else i}@x.fi>"
        msg["To"] = "tuki@tiski.example"
        msg["Subject"] = f"Viesti {i}"
        msg["Message-ID"] = f"<{msg_id}>"
        msg["Date"] = f"Mon, 0{i + 1} Jan 2024 10:00:00 +0200"
        if reply_to:
            msg["In-Reply-To"] = f"<{reply_to}>"
        msg.set_content(f"From the start of a line\nHei, viesti {i}.")
        box.add(msg)
    box.flush()
    box.close()
    return path


def test_mbox_import_counts_keeps_dates_and_is_idempotent(db, tmp_path):
    path = conversation_mbox(tmp_path / "inbox.mbox")
    counts = run_import(path)
    assert counts["imported"] == 2 and counts["threaded"] == 1
    assert Mailbox.objects.filter(address="tuki@tiski.example").exists()
    first = Message.objects.get(external_id="a1@x.fi")
    assert first.created_at.year == 2024 and first.ticket.created_at == first.created_at
    assert Message.objects.get(external_id="a2@x.fi").ticket == first.ticket
    # Without --live nothing automatic may ever go out for imported mail.
    assert all(r.suppress_automatic_mail for r in InboundReceipt.objects.all())
    again = run_import(path)
    assert again["duplicates"] == 3 and again["imported"] == 0
    assert Ticket.objects.count() == 2


def test_each_new_message_has_its_raw_file_and_a_repeat_none(db, tmp_path, settings):
    """The raw files are written ahead by threads: each receipt names a file
    with exactly its message, and a message repeated in the import leaves no
    file behind."""
    from tiski.connectors.email.mbox import iter_mbox

    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = conversation_mbox(tmp_path / "inbox.mbox")
    box = mailboxes.mbox(str(path))
    box.add(box.get_bytes(0))  # the first message again, at the end
    box.flush()
    box.close()
    counts = run_import(path)
    assert counts["duplicates"] == 1 and counts["imported"] + counts["threaded"] == 3
    messages = [raw for _key, raw in iter_mbox(path)][:3]
    receipts = list(InboundReceipt.objects.order_by("pk"))
    stored = []
    for receipt in receipts:
        with receipt.raw.open("rb") as handle:
            stored.append(handle.read())
    assert stored == messages
    files = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert sorted(str(p.relative_to(tmp_path / "media")) for p in files) == sorted(
        r.raw.name for r in receipts
    )


def test_live_flag_and_single_file(db):
    counts = run_import(FIXTURES / "gmail_en_reply.eml", "--live")
    assert counts["imported"] == 1
    assert not InboundReceipt.objects.get().suppress_automatic_mail


def test_maildir_and_folder_import(db, tmp_path):
    box = mailboxes.Maildir(str(tmp_path / "Maildir"))
    box.add((FIXTURES / "outlook_en_reply.eml").read_bytes())
    box.add((FIXTURES / "apple_mail_fi_reply.eml").read_bytes())
    box.close()
    assert run_import(tmp_path / "Maildir")["imported"] == 2
    counts = run_import(FIXTURES)
    total = sum(counts.values())
    # a folder is read with its subfolders, every file counted once (the
    # README and LICENSE of a fixture folder are skipped, as in the corpora)
    files = [p for p in FIXTURES.rglob("*") if p.is_file()]
    assert total == len([p for p in files if p.name not in ("LICENSE", "README.md")])
    assert counts["duplicates"] >= 2


def test_twenty_megabyte_attachment(db, tmp_path):
    data = bytes(range(256)) * (20 * 1024 * 1024 // 256)
    msg = EmailMessage()
    msg["From"] = "iso@liite.fi"
    msg["To"] = "tuki@tiski.example"
    msg["Subject"] = "Iso liite"
    msg["Message-ID"] = "<big@liite.fi>"
    msg.set_content("Liitteenä video.")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename="video.bin")
    path = tmp_path / "big.eml"
    path.write_bytes(msg.as_bytes())
    counts = run_import(path)
    assert counts["imported"] == 1
    attachment = Attachment.objects.get()
    assert attachment.size == len(data) and attachment.filename == "video.bin"


def corpus_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.name not in ("LICENSE", "README.md") and not p.name.startswith(".")
    )


SYNTHETIC = FIXTURES / "i21"


def test_parse_never_raises_anything_but_unparsable(corpora):
    for path in [*corpus_files(corpora), *corpus_files(SYNTHETIC)]:
        try:
            parse_email(path.read_bytes())
        except UnparsableEmail:
            pass


_SENDER_LINE = re.compile(rb"(?im)^(from|reply-to|sender)[ \t]*:[^\r\n]*@")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def test_corpus_mail_keeps_its_sender_and_subject(corpora):
    """Every mail whose own headers name an address has a sender; no subject
    keeps an encoded word or a replacement character (bench/mail_corpus.py
    counts the rest: bodies and attachments)."""
    lost = []
    for path in [*corpus_files(corpora), *corpus_files(SYNTHETIC)]:
        raw = path.read_bytes()
        try:
            parsed = parse_email(raw)
        except UnparsableEmail:
            continue
        head = re.split(rb"\r?\n\r?\n", raw[:65536], maxsplit=1)[0]
        if _SENDER_LINE.search(head) and not parsed.sender.address:
            lost.append((path.name, "sender"))
        if "\ufffd" in parsed.subject or _ENCODED_WORD.search(parsed.subject):
            lost.append((path.name, parsed.subject))
    assert lost == []


def test_synthetic_mails_import_and_only_the_senderless_one_is_quarantined(db):
    counts = run_import(SYNTHETIC)
    assert counts["quarantined"] == 1
    assert counts["imported"] + counts["threaded"] == len(corpus_files(SYNTHETIC)) - 1
    quarantined = InboundReceipt.objects.get(status="quarantined")
    with quarantined.raw.open("rb") as handle:
        assert handle.read() == (SYNTHETIC / "no_sender_anywhere.eml").read_bytes()


@pytest.mark.parametrize(
    "folder",
    [
        "cpython-email",
        "talon",
        "crisp-reply-parser",
        "zapier-reply-parser",
        "sisimai-bounces",
        "flanker",
    ],
)
def test_corpus_import_loses_nothing(corpora, folder, db):
    """Every file ends up counted as imported, threaded, duplicate, quarantined or a bounce."""
    root = corpora / folder
    if not root.is_dir():
        pytest.skip(f"{folder} not present")
    from tiski.connectors.management.commands.import_mail import iter_messages

    messages = sum(1 for _ in iter_messages(root))
    assert messages >= len(corpus_files(root))  # an mbox file may hold several
    counts = run_import(root)
    assert sum(counts.values()) == messages
    assert InboundReceipt.objects.filter(status="pending").count() == 0
    if folder == "sisimai-bounces":
        # Nothing recognised as a bounce ever opens a ticket.
        for receipt in InboundReceipt.objects.select_related("ticket"):
            with receipt.raw.open("rb") as handle:
                raw = handle.read()
            try:
                parsed = parse_email(raw)
            except UnparsableEmail:
                continue
            if parsed.is_bounce:
                assert receipt.ticket_id is None, receipt.key
