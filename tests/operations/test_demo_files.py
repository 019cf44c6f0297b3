"""The demo's attachments are files viewers can open: PNG and PDF checked by structure."""

from __future__ import annotations

import re
import struct
import zlib

import pytest

from tiski.operations.demo_files import (
    Canvas,
    damaged_parcel_png,
    demo_attachment,
    rating_plate_png,
    simple_pdf,
)

VALUES = {
    "name": "Aino Mäkinen",
    "company": "Kahvila Kuppi Oy",
    "product": "Papumylly Aroma 12",
    "order": "PM-245001",
    "invoice": "7123456",
    "amount": "249,00",
    "serial": "C42-558120",
    "date": "3.12.",
}


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, found = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        found.append((kind, body))
        pos += 12 + length
    return found


@pytest.mark.parametrize(
    "png", [damaged_parcel_png(), rating_plate_png("A1-123456", "Moka Rapido 300")]
)
def test_png_is_well_formed(png: bytes) -> None:
    chunks = _chunks(png)
    assert [k for k, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (depth, colour) == (8, 2)  # 8-bit RGB
    pixels = zlib.decompress(chunks[1][1])
    assert len(pixels) == height * (1 + 3 * width)
    assert len(set(pixels[1 : 1 + 3 * width])) > 1 or len(set(pixels)) > 10  # not blank


def test_canvas_draws_where_it_is_told() -> None:
    canvas = Canvas(10, 4)
    canvas.rect(2, 1, 3, 2, (255, 0, 0))
    assert canvas.rows[1][6:9] == bytes((255, 0, 0))
    assert canvas.rows[0][6:9] == bytes((255, 255, 255))
    canvas.text(0, 0, "Ä?", (0, 0, 0), scale=1)  # unknown letters leave a gap, never fail


def test_pdf_cross_references_point_at_their_objects() -> None:
    pdf = simple_pdf("Lasku 7123456 – äö", ["Rivi (sulkeissa)", "", ("Yhteensä", "249,00 €")])
    assert pdf.startswith(b"%PDF-1.4") and pdf.endswith(b"%%EOF\n")
    start = int(re.search(rb"startxref\n(\d+)", pdf).group(1))
    assert pdf[start:].startswith(b"xref\n0 7\n")
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", pdf[start:])]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
    length = int(re.search(rb"/Length (\d+)", pdf).group(1))
    stream = pdf.split(b"stream\n", 1)[1]
    assert stream[length:].startswith(b"\nendstream")
    assert b"(Rivi \\(sulkeissa\\))" in pdf and "äö".encode("cp1252") in pdf


@pytest.mark.parametrize(
    ("kind", "language", "name", "content_type"),
    [
        ("damaged_parcel", "fi", "kuljetusvaurio.png", "image/png"),
        ("rating_plate", "en", "rating-plate.png", "image/png"),
        ("invoice", "fi", "lasku-7123456.pdf", "application/pdf"),
        ("return_label", "en", "return-label-PM-245001.pdf", "application/pdf"),
    ],
)
def test_demo_attachments_by_kind(kind, language, name, content_type) -> None:
    filename, content, ctype = demo_attachment(kind, VALUES, language)
    assert (filename, ctype) == (name, content_type)
    assert content[:4] in (b"\x89PNG", b"%PDF")


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError):
        demo_attachment("video", VALUES, "fi")
