"""Mail that other clients read and Tiski once lost or garbled (issue 21).

Each case is a synthetic mail in tests/fixtures/email/i21 with the structure
of a real one: broken header blocks, Asian charsets under their narrow
labels, raw 8-bit file names, unnamed parts and HTML that is not the body.
"""

from __future__ import annotations

import pytest

from tiski.connectors.email.parse import (
    decode_bytes,
    decode_header_value,
    parse_email,
    repair_header_block,
)

from .conftest import fixture_bytes


def mail(name: str):
    return parse_email(fixture_bytes(f"i21/{name}"))


# --- header blocks -------------------------------------------------------------


def test_unindented_fold_of_an_earlier_header_keeps_the_headers_after_it():
    """Python's parser stops at 'by mx.tiski.example ...'; From and Subject follow it."""
    parsed = mail("broken_fold.eml")
    assert parsed.sender.address == "minna@asiakas.fi"
    assert parsed.sender.name == "Minna Virtanen"
    assert parsed.subject == "Tilaus 4471 viivästyy"
    assert parsed.message_id == "fold@i21.example"
    assert parsed.text == "Hei, tilaukseni on myöhässä."


def test_stray_line_before_the_headers_is_dropped():
    parsed = mail("stray_preface.eml")
    assert parsed.sender.address == "pekka@yritys.fi"
    assert parsed.subject == "Lasku 2025-118"
    assert "Original message" not in parsed.text
    assert parsed.text == "Laskussa on väärä summa."


def test_repair_leaves_a_body_without_separator_where_python_puts_it():
    """Lines after the last known header are the body, as before; nothing is folded."""
    raw = b"From: a@b.fi\nSubject: Hei\nTama on viesti\nSecond: line\n\nlisaa\n"
    assert repair_header_block(raw) == raw
    parsed = parse_email(raw)
    assert parsed.subject == "Hei" and parsed.sender.address == "a@b.fi"


def test_well_formed_mail_is_returned_unchanged():
    raw = fixture_bytes("outlook_fi_reply.eml")
    assert repair_header_block(raw) is raw


@pytest.mark.parametrize(
    ("name", "address", "display"),
    [
        ("from_empty_reply_to.eml", "liisa@koski.fi", "Liisa Koski"),
        ("no_from_sender.eml", "lomake@yritys.fi", "Verkkolomake"),
    ],
)
def test_sender_from_reply_to_or_sender_when_from_is_unusable(name, address, display):
    parsed = mail(name)
    assert (parsed.sender.address, parsed.sender.name) == (address, display)


def test_no_sender_anywhere_has_an_empty_sender():
    assert mail("no_sender_anywhere.eml").sender.address == ""


# --- charsets ---------------------------------------------------------------------


def test_gb2312_label_reads_gbk_characters_in_subject_name_and_body():
    parsed = mail("gb2312_gbk_chars.eml")
    assert parsed.subject == "关于啰嗦的报价"
    assert parsed.sender.name == "王伟"
    assert parsed.text == "您好，镕钢报价单见附件。"


def test_ks_c_5601_reads_as_cp949():
    parsed = mail("ks_c_5601.eml")
    assert parsed.subject == "똠방각하 문의"
    assert parsed.text == "똠방각하, 안녕하세요."


def test_iso_2022_jp_with_vendor_characters():
    """Outlook's circled numbers and (株) sit in NEC row 13, outside JIS X 0208."""
    parsed = mail("iso2022jp_vendor.eml")
    assert parsed.subject == "見積①②㈱"
    assert parsed.text == "ご注文 ①②㈱ です。"


def test_big5_label_reads_hkscs_characters():
    parsed = mail("big5_hkscs.eml")
    assert parsed.subject == "報價嘅問題"
    assert parsed.text == "唔該，𨋢壞咗。"


def test_broken_multibyte_text_is_never_read_as_western_latin():
    parsed = mail("gb2312_broken.eml")
    assert parsed.text.startswith("你好")
    assert "\ufffd" in parsed.text
    assert not any("\u00c0" <= ch <= "\u00ff" for ch in parsed.text)


def test_decode_bytes_keeps_the_latin_fallback_for_single_byte_labels():
    assert decode_bytes("päivää".encode("cp1252"), "utf-8") == "päivää"
    assert decode_bytes("Grüße €".encode("cp1252"), "iso-8859-1") == "Grüße €"


def test_broken_utf8_with_real_utf8_is_not_reread_as_cp1252():
    data = "Hyvää päivää ".encode() + b"\xff" + b" kiitos"
    assert decode_bytes(data, "utf-8") == "Hyvää päivää \ufffd kiitos"


def test_encoded_words_split_inside_a_character_are_joined():
    assert mail("split_encoded_word.eml").subject == "Hääpäivä"
    assert decode_header_value("=?utf-8?q?H=C3?= =?utf-8?q?=A4?= ja =?iso-8859-1?q?=E4?=") == (
        "Hä ja ä"
    )


# --- file names -------------------------------------------------------------------


def test_raw_8bit_file_names_in_utf8_and_the_message_charset():
    parsed = mail("raw_8bit_filenames.eml")
    assert [a.filename for a in parsed.attachments] == ["报价单.pdf", "Sopimus ✓ Hääpäivä.pdf"]


def test_raw_latin1_file_name():
    (attachment,) = mail("raw_latin1_filename.eml").attachments
    assert attachment.filename == "Päiväkirja.pdf"


def test_rfc2231_file_name_in_sections_with_a_narrow_label():
    (attachment,) = mail("rfc2231_gb2312_filename.eml").attachments
    assert attachment.filename == "镕钢报价.pdf"


# --- parts -----------------------------------------------------------------------


def test_unnamed_parts_get_recognisable_names_and_equal_names_are_kept():
    parsed = mail("unnamed_parts.eml")
    names = [(a.filename, a.content_type) for a in parsed.attachments]
    assert names == [
        ("image001.jpg", "image/jpeg"),
        ("attachment.html", "text/html"),
        ("attachment.pdf", "application/pdf"),
        ("image.png", "image/png"),
        ("Re: Tarjous.eml", "message/rfc822"),
        ("liite.pdf", "application/pdf"),
        ("liite.pdf", "application/pdf"),
    ]
    assert parsed.attachments[0].inline
    # The two "liite.pdf" are two files.
    assert parsed.attachments[-1].data != parsed.attachments[-2].data


def test_html_that_is_not_the_body_is_an_attachment():
    """In multipart/related only the root is the body; the second HTML is a resource."""
    parsed = mail("unnamed_parts.eml")
    assert "kehyksen" not in parsed.html and "kehyksen" not in parsed.text
    assert parsed.html == '<p>Kuva: <img src="cid:image001.jpg@01DA1234.5678"></p>'


def test_html_document_after_a_plain_text_body_is_an_attachment():
    parsed = mail("html_document_in_mixed.eml")
    assert parsed.text == "Lasku on liitteenä."
    assert parsed.html == ""
    (document,) = parsed.attachments
    assert (document.filename, document.content_type) == ("attachment.html", "text/html")
    assert b"LASKU 118" in document.data


def test_apple_mail_html_continued_after_an_image_stays_the_body():
    raw = (
        b"From: a@b.fi\nSubject: Kuva\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="M"\n\n'
        b"--M\nContent-Type: text/html; charset=utf-8\n\n<p>Ennen kuvaa</p>\n"
        b"--M\nContent-Type: image/png\nContent-Disposition: inline\n"
        b"Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
        b"--M\nContent-Type: text/html; charset=utf-8\n\n<p>Kuvan jalkeen</p>\n"
        b"--M--\n"
    )
    parsed = parse_email(raw)
    assert "Ennen kuvaa" in parsed.html and "Kuvan jalkeen" in parsed.html
    assert [a.content_type for a in parsed.attachments] == ["image/png"]


def test_empty_mail_has_an_empty_body():
    parsed = mail("empty.eml")
    assert (parsed.text, parsed.html, parsed.attachments) == ("", "", ())
