"""Reports about mail we sent: bounces, delays, complaints and SES notifications.

Fixtures in tests/fixtures/email/reports/ (see its README for where each came from).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tiski.connectors.email import reports
from tiski.connectors.email.intake import Outcome, accept, process_receipt
from tiski.connectors.email.parse import UnparsableEmail, parse_email
from tiski.customers.actions import get_or_create_contact
from tiski.customers.models import Identity
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Ticket, Via

from .conftest import FIXTURES, fixture_bytes


def report_bytes(name: str) -> bytes:
    return fixture_bytes(f"reports/{name}")


# (file, kind, every address named, the permanently failed ones, original Message-ID)
CASES = [
    (
        "ses_bounce_sns.eml",
        reports.BOUNCE,
        ("nobody@asiakas.fi",),
        ("nobody@asiakas.fi",),
        "tiski.1042.reply2@tiski.example",
    ),
    (
        "arf_complaint.eml",
        reports.COMPLAINT,
        ("liisa.laine@yritys.fi",),
        (),
        "tiski.1042.reply3@tiski.example",
    ),
    (
        "dsn_delayed.eml",
        reports.DELAY,
        ("pekka@asiakas.fi",),
        (),
        "tiski.1042.reply4@tiski.example",
    ),
    (
        "sisimai-lhost-amazonses-10.eml",
        reports.BOUNCE,
        ("bounce@simulator.amazonses.com",),
        ("bounce@simulator.amazonses.com",),
        "",
    ),
    (
        "sisimai-lhost-amazonses-11.eml",
        reports.COMPLAINT,
        ("complaint@simulator.amazonses.com",),
        (),
        "",
    ),
    (
        "sisimai-arf-02.eml",
        reports.COMPLAINT,
        ("this-local-part-does-not-exist-on-yahoo@yahoo.com",),
        (),
        "000000000000000000000000.smtp@example.com",
    ),
    (
        "sisimai-arf-22.eml",
        reports.COMPLAINT,
        ("kijitora@example.com",),
        (),
        "0000000000fffffffff0000000000000@example.com",
    ),
    ("sisimai-lhost-exim-38.eml", reports.DELAY, ("kijitora@example.co.jp",), (), ""),
    (
        "sisimai-rfc3464-09.eml",
        reports.DELAY,
        ("kijitora-cat@mx4.gr3.example.jp",),
        (),
        "00000000000000000000000000000000000000000@example.org",
    ),
    (
        "sisimai-lhost-qmail-01.eml",
        reports.BOUNCE,
        ("kijitora@example.ne.jp",),
        ("kijitora@example.ne.jp",),
        "000000000.9999999999999.JavaMail.postmaster@mailhub",
    ),
    (
        "sisimai-lhost-postfix-37.eml",
        reports.BOUNCE,
        ("nyaan@example.org",),
        (),
        "3f1e661d2e0be3acd691541721bf8c0d0123456789abcdef@neko-nyaan-22.example.de",
    ),
    (
        "sisimai-lhost-dragonfly-01.eml",
        reports.BOUNCE,
        ("pseudo-local-part@google.example.com",),
        ("pseudo-local-part@google.example.com",),
        "66681288.e06d1.3824794@df.example.jp",
    ),
]


@pytest.mark.parametrize(("name", "kind", "named", "permanent", "original"), CASES)
def test_report_is_recognised_with_kind_recipients_and_original(
    name, kind, named, permanent, original
):
    """Each real format is a report of the right kind; only hard failures are permanent."""
    mail = parse_email(report_bytes(name))
    assert mail.is_bounce and mail.is_auto_submitted
    assert mail.report_kind == kind
    assert mail.report_recipients == named
    assert mail.bounce_recipients == permanent
    assert mail.bounce_original_message_id == original


def test_existing_dsn_fixture_is_a_permanent_bounce():
    mail = parse_email(fixture_bytes("bounce_dsn.eml"))
    assert mail.report_kind == reports.BOUNCE
    assert mail.report_recipients == mail.bounce_recipients == ("nobody@asiakas.fi",)


def test_forwarded_bounce_from_a_person_is_a_customer_message():
    """A customer forwarding a bounce they got wants help: that is no report."""
    mail = parse_email(report_bytes("sisimai-lhost-sendmail-14.eml"))
    assert not mail.is_bounce and mail.report_kind == ""
    assert mail.bounce_recipients == mail.report_recipients == ()


def test_customer_words_about_failed_delivery_are_not_a_report():
    """Bounce words from a person's address (no daemon, no null return path) stay a customer's."""
    raw = (
        b"From: Maija <maija@example.com>\nTo: tuki@tiski.example\n"
        b"Subject: Undeliverable: my parcel could not be delivered\n"
        b"Message-ID: <p1@example.com>\n\n"
        b"Hei, the parcel could not be delivered, user unknown at the door.\n"
        b"Final-Recipient: rfc822; maija@example.com\nAction: failed\n"
    )
    mail = parse_email(raw)
    assert not mail.is_bounce and not mail.is_auto_submitted


def test_pasted_ses_json_from_a_person_is_not_a_report():
    raw = (
        b"From: Dev <dev@example.com>\nTo: tuki@tiski.example\nSubject: SES\n\n"
        b'{"notificationType":"Bounce","bounce":{"bounceType":"Permanent",'
        b'"bouncedRecipients":[{"emailAddress":"x@example.com"}]},"mail":{}}\n'
    )
    assert not parse_email(raw).is_bounce


def ses_mail(note: dict) -> bytes:
    return (
        "From: AWS Notifications <no-reply@sns.amazonaws.com>\nTo: ses@tiski.example\n"
        "Subject: AWS Notification Message\nMessage-ID: <n1@amazonses.com>\n"
        "Content-Type: text/plain; charset=UTF-8\n\n" + json.dumps(note) + "\n"
    ).encode()


MAIL = {
    "messageId": "ses-1",
    "destination": ["maija@example.com"],
    "commonHeaders": {"messageId": "<tiski.7.a@tiski.example>"},
}


@pytest.mark.parametrize(
    ("note", "kind", "named", "permanent"),
    [
        (
            {
                "notificationType": "Bounce",
                "bounce": {
                    "bounceType": "Transient",
                    "bounceSubType": "MailboxFull",
                    "bouncedRecipients": [{"emailAddress": "maija@example.com"}],
                },
                "mail": MAIL,
            },
            reports.BOUNCE,
            ("maija@example.com",),
            (),
        ),
        (
            {
                "eventType": "DeliveryDelay",
                "deliveryDelay": {"delayedRecipients": [{"emailAddress": "maija@example.com"}]},
                "mail": MAIL,
            },
            reports.DELAY,
            ("maija@example.com",),
            (),
        ),
        (
            {
                "notificationType": "Delivery",
                "delivery": {"recipients": ["maija@example.com"]},
                "mail": MAIL,
            },
            reports.DELIVERED,
            ("maija@example.com",),
            (),
        ),
    ],
)
def test_ses_notification_kinds(note, kind, named, permanent):
    """A full mailbox, a delay or a delivery receipt never makes an address undeliverable."""
    mail = parse_email(ses_mail(note))
    assert mail.is_bounce
    assert (mail.report_kind, mail.report_recipients, mail.bounce_recipients) == (
        kind,
        named,
        permanent,
    )
    assert mail.bounce_original_message_id == "tiski.7.a@tiski.example"


@pytest.mark.parametrize("body", ["{not json", '{"notificationType": "Bounce"}', "{}", "[1, 2]"])
def test_broken_ses_json_is_never_a_crash(body):
    raw = (
        "From: no-reply@sns.amazonaws.com\nSubject: AWS Notification Message\n\n" + body
    ).encode()
    mail = parse_email(raw)
    assert mail.report_kind in ("", reports.BOUNCE)


def test_multipart_without_its_boundary_shows_its_text():
    """An old MTA's report whose boundary never appears still has readable words and a recipient."""
    raw = (
        b"Return-Path: <>\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.edu>\n"
        b"To: <tuki@tiski.example>\nSubject: Returned mail: User unknown\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="NOT.HERE"\n\n'
        b"   ----- The following addresses had permanent fatal errors -----\n"
        b"<ghost@example.edu>\n    (reason: 550 5.1.1 User unknown)\n"
    )
    mail = parse_email(raw)
    assert "permanent fatal errors" in mail.text and not mail.attachments
    assert mail.report_kind == reports.BOUNCE
    assert mail.bounce_recipients == ("ghost@example.edu",)


# --- what the intake does with them (safe with the current _process_bounce) ------------------


def receive(mailbox, raw: bytes):
    receipt, _created = accept(
        source="test", key=hashlib.sha256(raw).hexdigest(), raw=raw, mailbox=mailbox, schedule=False
    )
    return process_receipt(receipt.pk)


@pytest.mark.parametrize(
    ("name", "address"),
    [("arf_complaint.eml", "liisa.laine@yritys.fi"), ("dsn_delayed.eml", "pekka@asiakas.fi")],
)
def test_complaints_and_delays_never_open_tickets_or_mark_addresses(mailbox, name, address):
    """A complaint or a delay is kept out of the queue, but the address stays deliverable."""
    get_or_create_contact("email", address, name="Asiakas")
    result = receive(mailbox, report_bytes(name))
    assert result.outcome in (Outcome.BOUNCE_ATTACHED, Outcome.BOUNCE_UNMATCHED)
    assert Ticket.objects.count() == 0
    identity = Identity.objects.get(value=address)
    assert identity.undeliverable_at is None


def test_ses_permanent_bounce_marks_the_address_and_notes_the_ticket(mailbox, make_ticket):
    ticket = make_ticket()
    actions.add_message(
        ticket,
        kind=MessageKind.PUBLIC,
        actor=None,
        via=Via.SYSTEM,
        text="Vastaus",
        external_id="tiski.1042.reply2@tiski.example",
    )
    get_or_create_contact("email", "nobody@asiakas.fi", name="Ei ketään")
    result = receive(mailbox, report_bytes("ses_bounce_sns.eml"))
    assert result.outcome == Outcome.BOUNCE_ATTACHED and result.receipt.ticket == ticket
    assert result.receipt.message.kind == MessageKind.SYSTEM
    assert Identity.objects.get(value="nobody@asiakas.fi").undeliverable_at is not None
    assert Ticket.objects.count() == 1


# --- the shared corpora (skipped where they are absent) -----------------------------------------

# Files in the other corpora that are reports themselves.
CORPUS_REPORTS = {
    "cpython-email/data/msg_05.txt",
    "cpython-email/data/msg_16.txt",
    "cpython-email/data/msg_25.txt",
    "cpython-email/data/msg_43.txt",
}
HUMAN_CORPORA = ("talon", "crisp-reply-parser", "zapier-reply-parser", "flanker", "cpython-email")


def _mail_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.name not in ("LICENSE", "README.md") and not p.name.startswith(".")
    )


def test_no_human_mail_in_the_corpora_is_a_report(corpora):
    """Replies, forwards and MIME oddities of the other corpora never become bounces."""
    flagged = []
    for name in HUMAN_CORPORA:
        for path in _mail_files(corpora / name):
            relative = path.relative_to(corpora).as_posix()
            if relative in CORPUS_REPORTS or relative.startswith(
                ("flanker/messages/bounce/", "flanker/messages/complaints/")
            ):
                continue
            try:
                mail = parse_email(path.read_bytes())
            except UnparsableEmail:
                continue
            if mail.is_bounce:
                flagged.append(relative)
    for path in _mail_files(corpora / "sisimai-bounces" / "not-bounce"):
        if parse_email(path.read_bytes()).is_bounce:
            flagged.append(path.name)
    assert flagged == []


def test_sisimai_bounces_are_recognised_with_recipients(corpora):
    """Recognition of sisimai's 702 reports stays as measured (698 found, 681 naming someone).

    RFC 3834 vacation replies in the same folder are automatic but no reports.
    """
    root = corpora / "sisimai-bounces"
    total = recognised = named = 0
    for path in [*_mail_files(root / "bounce"), *_mail_files(root / "bounce-crlf")]:
        mail = parse_email(path.read_bytes())
        if path.name.startswith("rfc3834"):
            assert not mail.is_bounce, path.name
            continue
        total += 1
        recognised += mail.is_bounce
        named += bool(mail.report_recipients)
    assert total == 702
    assert recognised >= 695 and named >= 675


def test_fixture_folder_documents_every_file():
    folder = FIXTURES / "reports"
    readme = (folder / "README.md").read_text()
    for path in folder.glob("*.eml"):
        assert f"`{path.name}`" in readme, path.name
