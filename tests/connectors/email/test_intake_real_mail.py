"""Intake of issue 21's mails: no needless quarantine, empty stays empty, and
a contact's name comes from the person, not from other people's address lines."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from tiski.connectors.email.intake import REASON_NO_SENDER, Outcome, accept, process_receipt
from tiski.connectors.models import ReceiptStatus
from tiski.customers.actions import find_contact, set_contact_name
from tiski.customers.models import NameSource
from tiski.tickets.management.commands.export_tickets import ticket_record

from .conftest import fixture_bytes


def receive(mailbox, raw: bytes):
    receipt, _created = accept(
        source="test", key=hashlib.sha256(raw).hexdigest(), raw=raw, mailbox=mailbox, schedule=False
    )
    return process_receipt(receipt.pk)


def mail(sender: str, *, to: str = "tuki@tiski.example", cc: str = "", n: int = 1) -> bytes:
    copied = f"Cc: {cc}\n" if cc else ""
    return (
        f"From: {sender}\nTo: {to}\n{copied}Subject: Asia {n}\n"
        f"Message-ID: <name{n}@i21.example>\nDate: Mon, 2 Jun 2025 10:00:00 +0300\n"
        f"Content-Type: text/plain; charset=utf-8\n\nHei, asia {n}.\n"
    ).encode()


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("broken_fold.eml", "minna@asiakas.fi"),
        ("stray_preface.eml", "pekka@yritys.fi"),
        ("from_empty_reply_to.eml", "liisa@koski.fi"),
        ("no_from_sender.eml", "lomake@yritys.fi"),
    ],
)
def test_repaired_mail_opens_a_ticket_for_its_sender(mailbox, name, address):
    result = receive(mailbox, fixture_bytes(f"i21/{name}"))
    assert result.outcome == Outcome.CREATED
    assert result.receipt.ticket.requester == find_contact("email", address)


def test_only_mail_with_no_sender_anywhere_is_quarantined(mailbox):
    result = receive(mailbox, fixture_bytes("i21/no_sender_anywhere.eml"))
    assert result.outcome == Outcome.QUARANTINED
    assert result.receipt.status == ReceiptStatus.QUARANTINED
    assert result.receipt.reason == REASON_NO_SENDER


def test_empty_mail_stores_and_exports_an_empty_body_and_the_page_says_so(
    mailbox, client, make_user
):
    result = receive(mailbox, fixture_bytes("i21/empty.eml"))
    message = result.receipt.message
    assert (message.text, message.html) == ("", "")
    record = ticket_record(result.receipt.ticket)
    assert [m["text"] for m in record["messages"]] == [""]
    agent = make_user()
    client.force_login(agent)
    page = client.get(reverse("desk:ticket", args=[result.receipt.ticket.number]))
    assert page.status_code == 200
    assert "(tyhjä viesti)" in page.content.decode()  # the agent reads Finnish


def test_two_attachments_with_one_name_keep_it_and_both_files(mailbox):
    result = receive(mailbox, fixture_bytes("i21/unnamed_parts.eml"))
    stored = result.receipt.message.attachments.filter(filename="liite.pdf").order_by("pk")
    assert stored.count() == 2
    first, second = stored
    assert first.file.name != second.file.name
    assert first.file.read() != second.file.read()
    names = set(result.receipt.message.attachments.values_list("filename", flat=True))
    assert {"image001.jpg", "Re: Tarjous.eml", "attachment.pdf", "image.png"} <= names


def test_name_from_someone_elses_cc_is_replaced_by_the_persons_own(mailbox):
    receive(mailbox, mail("Asiakas Yksi <yksi@firma.fi>", cc="Kaksi Arvaus <kaksi@firma.fi>"))
    guessed = find_contact("email", "kaksi@firma.fi")
    assert (guessed.name, guessed.name_source) == ("Kaksi Arvaus", NameSource.COPIED)
    receive(mailbox, mail("Kaisa Kaksinen <kaksi@firma.fi>", n=2))
    guessed.refresh_from_db()
    assert (guessed.name, guessed.name_source) == ("Kaisa Kaksinen", NameSource.OWN)


def test_someone_elses_cc_never_overrides_the_persons_own_name(mailbox):
    receive(mailbox, mail("Kaisa Kaksinen <kaksi@firma.fi>"))
    receive(mailbox, mail("Asiakas Yksi <yksi@firma.fi>", cc="KAKSI VÄÄRÄ <kaksi@firma.fi>", n=2))
    assert find_contact("email", "kaksi@firma.fi").name == "Kaisa Kaksinen"


def test_empty_name_is_filled_the_first_time_the_person_gives_one(mailbox):
    receive(mailbox, mail("kolme@firma.fi"))
    contact = find_contact("email", "kolme@firma.fi")
    assert contact.name == ""
    receive(mailbox, mail("Kolmas Henkilö <kolme@firma.fi>", n=2))
    receive(mailbox, mail("Joku Muu <kolme@firma.fi>", n=3))
    contact.refresh_from_db()
    assert contact.name == "Kolmas Henkilö"


def test_a_copied_name_fills_an_empty_name_only(mailbox):
    receive(mailbox, mail("nelja@firma.fi"))
    receive(mailbox, mail("Yksi <yksi@firma.fi>", cc="Neljäs <nelja@firma.fi>", n=2))
    contact = find_contact("email", "nelja@firma.fi")
    assert (contact.name, contact.name_source) == ("Neljäs", NameSource.COPIED)
    receive(mailbox, mail("Yksi <yksi@firma.fi>", cc="Toinen Arvaus <nelja@firma.fi>", n=3))
    contact.refresh_from_db()
    assert contact.name == "Neljäs"


def test_an_agents_name_always_wins(mailbox):
    receive(mailbox, mail("Viisi <viisi@firma.fi>"))
    contact = find_contact("email", "viisi@firma.fi")
    set_contact_name(contact, "Viides Asiakas (Oy Ab)")
    receive(mailbox, mail("Viisi Uusi <viisi@firma.fi>", n=2))
    contact.refresh_from_db()
    assert (contact.name, contact.name_source) == ("Viides Asiakas (Oy Ab)", NameSource.AGENT)


def test_admin_edit_of_a_name_is_an_agents_name(mailbox, client, admin_user):
    receive(mailbox, mail("Kuusi <kuusi@firma.fi>"))
    contact = find_contact("email", "kuusi@firma.fi")
    admin_user.is_superuser = True  # the Django admin is for superusers only
    admin_user.save()
    client.force_login(admin_user)
    url = reverse("admin:customers_contact_change", args=[contact.pk])
    identity = contact.identities.get()
    response = client.post(
        url,
        {
            "name": "Kuudes Oikea",
            "language": "fi",
            "organisation": "",
            "notes": "",
            "identities-TOTAL_FORMS": "1",
            "identities-INITIAL_FORMS": "1",
            "identities-MIN_NUM_FORMS": "0",
            "identities-MAX_NUM_FORMS": "1000",
            "identities-0-id": str(identity.pk),
            "identities-0-contact": str(contact.pk),
            "identities-0-kind": identity.kind,
            "identities-0-value": identity.value,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    contact.refresh_from_db()
    assert (contact.name, contact.name_source) == ("Kuudes Oikea", NameSource.AGENT)
    receive(mailbox, mail("Kuusi Taas <kuusi@firma.fi>", n=2))
    contact.refresh_from_db()
    assert contact.name == "Kuudes Oikea"


def test_in_one_batch_the_persons_own_name_beats_a_copy(mailbox):
    from django.db import transaction

    from tiski.connectors.email.intake import accept_new, process_accepted

    items = [
        ("b1", mail("Yksi <yksi@firma.fi>", cc="Arvaus <seitse@firma.fi>", n=1)),
        ("b2", mail("Seitsemäs Oma <seitse@firma.fi>", n=2)),
    ]
    with transaction.atomic():
        accepted = accept_new(source="test", items=items, mailbox=mailbox)
        process_accepted([receipt for receipt, _created in accepted])
    contact = find_contact("email", "seitse@firma.fi")
    assert (contact.name, contact.name_source) == ("Seitsemäs Oma", NameSource.OWN)


def test_migration_clears_the_stored_empty_wording_only_from_empty_mail(mailbox):
    import importlib

    from django.apps import apps

    from tiski.tickets.models import Message

    migration = importlib.import_module("tiski.tickets.migrations.0009_empty_mail_has_empty_text")
    empty = receive(mailbox, mail("a@firma.fi", n=1)).receipt.message
    worded = receive(mailbox, mail("b@firma.fi", n=2)).receipt.message
    Message.objects.filter(pk=empty.pk).update(text="(tyhjä viesti)")
    Message.objects.filter(pk=worded.pk).update(text="(empty message)", html="<p>x</p>")
    migration.clear_wording(apps, None)
    empty.refresh_from_db()
    worded.refresh_from_db()
    assert empty.text == ""
    assert worded.text == "(empty message)"  # it had HTML: not an empty mail
