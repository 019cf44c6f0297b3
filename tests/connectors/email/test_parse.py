"""parse_email reads real-world mail into a ParsedEmail without crashing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tiski.connectors.email.parse import (
    UnparsableEmail,
    decode_bytes,
    normalise_message_id,
    parse_email,
    parse_id_list,
)

from .conftest import fixture_bytes


def test_outlook_finnish_windows_1252_reply():
    """Encoded subject, Windows-1252 body (en dash 0x96), In-Reply-To without References."""
    mail = parse_email(fixture_bytes("outlook_fi_reply.eml"))
    assert mail.subject == "VS: Tilauksen toimituspäivä [#1042]"
    assert mail.sender.name == "Virtanen, Minna"
    assert mail.sender.address == "minna.virtanen@asiakas.fi"
    assert mail.message_id == "AM0PR07MB1234ABCD@AM0PR07MB1234.eurprd07.prod.outlook.com"
    assert mail.in_reply_to == "tiski.1042.abc@tiski.example"
    assert mail.references == ()
    assert "Pääsen vastaanottamaan klo 9–14" in mail.text
    assert mail.date == datetime(2025, 6, 3, 7, 40, 12, tzinfo=UTC)
    assert not mail.is_auto_submitted and not mail.is_bounce


def test_iso_8859_15_euro_sign():
    mail = parse_email(fixture_bytes("outlook_en_reply.eml"))
    assert "120 €, not 150 €" in mail.text
    assert mail.html == ""


def test_gmail_base64_cc_and_references():
    mail = parse_email(fixture_bytes("gmail_fi_reply.eml"))
    assert mail.references == ("CAFx8Q1aFIRST@mail.gmail.com", "tiski.55.second@tiski.example")
    assert [a.address for a in mail.cc] == ["liisa.laine@yritys.fi"]
    assert mail.cc[0].name == "Laine, Liisa"
    assert "käynnistää" in mail.text
    # Quote detection reads the source; the stored HTML keeps no sender classes.
    assert 'class="gmail_quote"' in mail.html_source
    assert "class=" not in mail.html and "<blockquote>Hei Pekka" in mail.html


def test_thunderbird_latin1_8bit_and_inline_image():
    mail = parse_email(fixture_bytes("thunderbird_en_reply.eml"))
    assert "café" in mail.text
    (image,) = mail.attachments
    assert image.inline and image.content_id == "part1.hinge@builder.example"
    assert image.data.startswith(b"\x89PNG")
    # The cid reference stays so the UI can map it to the stored attachment.
    assert 'src="cid:part1.hinge@builder.example"' in mail.html


def test_apple_mail_encoded_sender_name():
    mail = parse_email(fixture_bytes("apple_mail_fi_reply.eml"))
    assert mail.sender.name == "Eero Mäkinen"
    assert mail.subject == "Re: Tarjouspyyntö"


def test_broken_mime_keeps_text_and_attachment():
    """Unknown charset, no closing boundary, bad base64, a broken date: still readable."""
    mail = parse_email(fixture_bytes("broken_mime.eml"))
    assert "Tämä viesti on rikki" in mail.text
    assert mail.date is None
    assert mail.subject.startswith("Rikki näinen")
    assert [a.filename for a in mail.attachments] == ["lasku.pdf"]


def test_bounce_is_recognised_with_recipient_and_original_id():
    mail = parse_email(fixture_bytes("bounce_dsn.eml"))
    assert mail.is_bounce and mail.is_auto_submitted
    assert mail.bounce_recipients == ("nobody@asiakas.fi",)
    assert mail.bounce_original_message_id == "tiski.1042.reply2@tiski.example"


def test_out_of_office_is_auto_submitted_not_bounce():
    mail = parse_email(fixture_bytes("out_of_office.eml"))
    assert mail.is_auto_submitted and not mail.is_bounce


def test_newsletter_is_auto_submitted_and_remote_images_blocked():
    mail = parse_email(fixture_bytes("newsletter.eml"))
    assert mail.is_auto_submitted
    assert mail.subject == "Kesän tarjoukset -50 €"
    assert "data-remote-src" in mail.html and ' src="https' not in mail.html


def test_html_with_scripts_is_sanitised():
    mail = parse_email(fixture_bytes("html_scripts.eml"))
    lowered = mail.html.lower()
    assert "<script" not in lowered and "javascript:" not in lowered
    assert "onerror" not in lowered and "onload" not in lowered and "onclick" not in lowered
    assert "<iframe" not in lowered and "<form" not in lowered
    assert "Hello <b>agent</b>" in mail.html


def test_calendar_and_winmail_kept_as_attachments():
    mail = parse_email(fixture_bytes("calendar_tnef.eml"))
    names = {(a.filename, a.content_type) for a in mail.attachments}
    assert ("invite.ics", "text/calendar") in names
    assert ("winmail.dat", "application/ms-tnef") in names
    assert mail.text == "Tervetuloa palaveriin."


@pytest.mark.parametrize(
    "flag",
    [
        b"Auto-Submitted: auto-generated",
        b"Precedence: list",
        b"Precedence: junk",
        b"X-Autoreply: yes",
        b"X-Autorespond: yes",
        b"X-Auto-Response-Suppress: OOF",
    ],
)
def test_loop_headers_mark_auto_submitted(flag):
    raw = b"From: a@b.example\r\nSubject: x\r\n" + flag + b"\r\n\r\nhello\r\n"
    assert parse_email(raw).is_auto_submitted


def test_plain_mail_and_auto_submitted_no_are_not_automatic():
    raw = b"From: a@b.example\nSubject: x\nAuto-Submitted: no\n\nhello\n"
    assert not parse_email(raw).is_auto_submitted


def test_mailer_daemon_and_empty_sender_are_automatic():
    assert parse_email(b"From: MAILER-DAEMON@x.example\nSubject: hi\n\nx").is_auto_submitted
    assert parse_email(b"From: \nSubject: hi\n\nx").is_auto_submitted


def test_html_only_mail_gets_text():
    raw = b"From: a@b.example\nContent-Type: text/html; charset=utf-8\n\n<p>Hei <b>maailma</b></p>"
    mail = parse_email(raw)
    assert mail.text == "Hei maailma"


def test_wrong_charset_label_is_recovered():
    body = "Hyvää päivää, kiitos paljon. Tässä on lisää tekstiä testiä varten.".encode("cp1252")
    raw = b"From: a@b.example\nContent-Type: text/plain; charset=utf-8\n\n" + body
    assert "Hyvää päivää" in parse_email(raw).text
    assert decode_bytes(b"", "utf-8") == ""
    assert decode_bytes("ääkköset".encode(), "no-such-charset") == "ääkköset"


@pytest.mark.parametrize("raw", [b"", b"   \n", b"\x00\x01\x02 binary garbage without headers"])
def test_unparsable_raises_only_unparsable_email(raw):
    with pytest.raises(UnparsableEmail):
        parse_email(raw)


def test_message_id_helpers():
    assert normalise_message_id(" <Abc@X.example> ") == "Abc@X.example"
    assert parse_id_list("<a@x> <b@y>\n <a@x>") == ["a@x", "b@y"]
    assert parse_id_list("a@x") == ["a@x"]
