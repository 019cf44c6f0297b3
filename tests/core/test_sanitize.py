"""The sanitiser and the preview text made from what customers send."""

from __future__ import annotations

import pytest

from tiski.core.sanitize import PREVIEW_LENGTH, plain_preview, sanitize_html


def test_sender_classes_and_ids_are_dropped():
    """A sender cannot dress their HTML in the desk's own classes or ids."""
    html = (
        '<div class="msg msg-internal" id="reply-form"><span class="kind kind-internal">'
        'Internal note</span><p class="flash flash-success" id="x">Paid</p></div>'
    )
    cleaned = sanitize_html(html)
    assert "class=" not in cleaned and "id=" not in cleaned
    assert "Internal note" in cleaned and "Paid" in cleaned


def test_only_the_fold_marker_class_survives():
    """Intake's quoted-text marker is kept on a div, alone; nowhere else."""
    cleaned = sanitize_html(
        '<div class="tiski-folded">old</div><div class="msg tiski-folded">x</div>'
        '<p class="tiski-folded">y</p>'
    )
    assert cleaned == '<div class="tiski-folded">old</div><div class="tiski-folded">x</div><p>y</p>'


def test_relative_image_sources_are_dropped():
    """An image must not make the agent's browser fetch a desk URL with their session."""
    cleaned = sanitize_html('<img src="/tickets/next/" alt="a"><img src="x"><img src="cid:kuva1">')
    assert "/tickets/next/" not in cleaned and 'src="x"' not in cleaned
    assert 'src="cid:kuva1"' in cleaned


def test_inline_images_stay_and_remote_images_wait():
    cleaned = sanitize_html(
        '<img src="data:image/png;base64,AAAA"><img src="https://t.example/p.gif">'
        '<a href="data:text/html,x">l</a>'
    )
    assert 'src="data:image/png;base64,AAAA"' in cleaned
    assert 'data-remote-src="https://t.example/p.gif"' in cleaned
    assert "data:text/html" not in cleaned


@pytest.mark.parametrize(
    ("text", "html", "expected"),
    [
        ("Hei <![ maailma", "", "Hei <![ maailma"),
        ("  rivi\n\n  toinen\trivi ", "", "rivi toinen rivi"),
        ("nul\x00tavu\x07", "", "nultavu"),
        ("a\u202eb\u2066c\u200fd", "", "abcd"),
        ("", "<p>Hei <b>maailma</b> &amp; &lt;kaikki&gt;</p><script>x()</script>", None),
        ("", '<p>Uusi</p><div class="tiski-folded"><p>Vanha lainaus</p></div>', "Uusi"),
        ("", "<![CDATA[", ""),
        ("", "<p>katkennut <b", "katkennut"),
    ],
)
def test_plain_preview(text, html, expected):
    preview = plain_preview(text, html)
    if expected is None:
        assert preview == "Hei maailma & <kaikki>"
    else:
        assert preview == expected


def test_plain_preview_folds_quoted_text_and_is_short():
    text = "Vastaus tähän.\n\n> Lainattu vanha viesti"
    assert plain_preview(text, fold_text_at=len("Vastaus tähän.")) == "Vastaus tähän."
    assert len(plain_preview("sana " * 1000)) == PREVIEW_LENGTH
    assert plain_preview("", "<p>" + "x" * 100_000 + "</p>") == "x" * PREVIEW_LENGTH


@pytest.mark.django_db
def test_migration_fills_previews_of_older_messages(make_ticket, monkeypatch):
    """Messages stored before the field existed get their preview, in batches."""
    import importlib

    from django.apps import apps

    from tiski.tickets.models import Message

    migration = importlib.import_module("tiski.tickets.migrations.0013_fill_message_preview")
    tickets = [make_ticket(text=f"Viesti {i} <![ ja <b>") for i in range(3)]
    Message.objects.update(preview="")
    monkeypatch.setattr(migration, "BATCH", 2)  # more than one batch
    migration.fill_previews(apps, None)
    previews = set(Message.objects.values_list("preview", flat=True))
    assert previews == {f"Viesti {i} <![ ja <b>" for i in range(len(tickets))}
