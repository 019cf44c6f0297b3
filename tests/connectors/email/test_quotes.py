"""Quoted history and signatures are folded; the new words are never lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiski.connectors.email.parse import html_to_text, parse_email
from tiski.connectors.email.quotes import split_reply_html, split_reply_text

from .conftest import fixture_bytes

EXPECTED_NEW_TEXT = {
    "outlook_fi_reply.eml": "Minna Virtanen",
    "outlook_en_reply.eml": "Regards,\nJohn",
    "gmail_fi_reply.eml": "Valo vilkuttaa kolme kertaa.",
    "gmail_en_reply.eml": "one item is missing.",
    "apple_mail_fi_reply.eml": "Tilaamme 20 kpl.",
    "thunderbird_en_reply.eml": "broke on arrival.",
}


@pytest.mark.parametrize("name,ending", sorted(EXPECTED_NEW_TEXT.items()))
def test_text_reply_new_part_ends_where_the_quote_begins(name, ending):
    text = parse_email(fixture_bytes(name)).text
    new, folded = split_reply_text(text)
    assert new.rstrip().endswith(ending)
    assert folded
    assert new + folded == text


EXPECTED_NEW_HTML = {
    "outlook_fi_reply.eml": "Minna Virtanen",
    "gmail_fi_reply.eml": "Valo vilkuttaa kolme kertaa.",
    "apple_mail_fi_reply.eml": "Lähetetty iPhonesta",
    "thunderbird_en_reply.eml": "broke on arrival.",
}


@pytest.mark.parametrize("name,ending", sorted(EXPECTED_NEW_HTML.items()))
def test_html_reply_new_part_ends_where_the_quote_begins(name, ending):
    source = parse_email(fixture_bytes(name)).html_source
    new, folded = split_reply_html(source)
    assert html_to_text(new).endswith(ending)
    assert folded and new + folded == source


@pytest.mark.parametrize(
    "text,new",
    [
        ("Thanks!\n\n-- \nJohn Smith\nACME", "Thanks!\n\n"),
        ("Kiitos!\n\nLähetetty iPhonesta\n", "Kiitos!\n\n"),
        ("Ok.\n\nSent from my iPhone\n\nOn Mon, 2 Jun 2025, A <a@b.c> wrote:\n> hi\n", "Ok.\n\n"),
        ("Hei\n\n-----Alkuperäinen viesti-----\nLähettäjä: x\nAihe: y\n", "Hei\n\n"),
        ("Yes\n\n________________________________\nFrom: A\nSent: B\n", "Yes\n\n"),
        ("Joo.\n\nma 2.6.2025 klo 12.00 Tiski <t@t.fi>\nkirjoitti:\n> moi\n", "Joo.\n\n"),
    ],
)
def test_text_markers(text, new):
    assert split_reply_text(text)[0] == new


def test_sent_from_in_the_middle_is_not_a_signature():
    text = "Sent from my desk at work, the numbers are below.\n\n1, 2, 3\n"
    assert split_reply_text(text) == (text, "")


def test_inline_replies_are_not_folded_away():
    text = "> question one\nanswer one\n> question two\nanswer two\n"
    new, _folded = split_reply_text(text)
    assert "answer one" in new and "answer two" in new


def test_everything_quoted_returns_the_whole_as_new():
    text = "> only quoted\n> lines\n"
    assert split_reply_text(text) == (text, "")
    assert split_reply_html('<div class="gmail_quote">x</div>') == (
        '<div class="gmail_quote">x</div>',
        "",
    )
    assert split_reply_text("") == ("", "")


def _corpus_texts(corpora: Path, folder: str) -> list[Path]:
    base = corpora / folder
    if not base.is_dir():
        pytest.skip(f"{folder} not present")
    return sorted(
        p for p in base.rglob("*") if p.is_file() and p.name not in ("LICENSE", "README.md")
    )


@pytest.mark.parametrize("folder", ["crisp-reply-parser", "zapier-reply-parser", "talon"])
def test_corpus_never_crashes_and_never_empties(corpora, folder):
    """Includes zapier's pathological.txt: the patterns are bounded, so it finishes."""
    for path in _corpus_texts(corpora, folder):
        raw = path.read_bytes()
        if path.suffix == ".eml":
            text = parse_email(raw).text
        else:
            text = raw.decode("utf-8", "replace")
        new, folded = split_reply_text(text)
        assert new + folded == text, path
        if text.strip():
            assert new.strip(), path
        if path.suffix == ".html":
            new_html, folded_html = split_reply_html(text)
            assert new_html + folded_html == text
            assert html_to_text(new_html).strip(), path


def _norm(text: str) -> str:
    return " ".join(text.split())


def talon_agreement(corpora: Path) -> tuple[int, int, list[str]]:
    """Cases where talon ships an expected result: (agreeing, total, disagreeing names)."""
    base = corpora / "talon" / "fixtures"
    agree, total, misses = 0, 0, []
    for expected in sorted((base / "standard_replies").glob("*_reply_text")):
        eml = expected.with_name(expected.name.replace("_reply_text", ".eml"))
        new, _folded = split_reply_text(parse_email(eml.read_bytes()).text)
        total += 1
        wanted = _norm(expected.read_text(errors="replace"))
        # talon keeps the signature in the reply; we fold it too. Agreement is
        # on the quote boundary: our new part is the start of talon's reply.
        if _norm(new) and wanted.startswith(_norm(new)):
            agree += 1
        else:
            misses.append(expected.name)
    for signature in sorted((base / "signature" / "emails" / "stripped").glob("*_signature")):
        body = signature.with_name(signature.name.replace("_signature", "_body"))
        new, folded = split_reply_text(body.read_text(errors="replace"))
        total += 1
        wanted = _norm(signature.read_text(errors="replace"))
        if wanted and wanted in _norm(folded) and wanted not in _norm(new):
            agree += 1
        else:
            misses.append(signature.name)
    return agree, total, misses


def test_talon_expected_results_agreement_is_reported(corpora, capsys):
    agree, total, misses = talon_agreement(corpora)
    assert total > 0
    with capsys.disabled():
        print(f"\ntalon agreement: {agree}/{total}; differing: {', '.join(misses)}")
