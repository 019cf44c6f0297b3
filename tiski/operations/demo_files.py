"""Attachments for the demo, drawn in code: PNG pictures and PDF documents.

No image library is a dependency of Tiski, and the demo must not ship binary
files, so the few files customers and agents attach in the demo are made
here: a PNG encoder over `zlib` with a small pixel canvas and a 5x7 font,
and a one-page PDF writer with the standard Helvetica font. Both produce
files any viewer opens; `tests/operations/test_demo_files.py` checks their structure.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Sequence

RGB = tuple[int, int, int]

# A 5x7 font for what a type plate or a display shows: capitals, digits, a few signs.
# Each glyph is seven rows of five bits, most significant bit on the left.
FONT: dict[str, tuple[int, ...]] = {
    " ": (0, 0, 0, 0, 0, 0, 0),
    "-": (0, 0, 0, 31, 0, 0, 0),
    ".": (0, 0, 0, 0, 0, 12, 12),
    ":": (0, 12, 12, 0, 12, 12, 0),
    "/": (1, 2, 2, 4, 8, 8, 16),
    "0": (14, 17, 19, 21, 25, 17, 14),
    "1": (4, 12, 4, 4, 4, 4, 14),
    "2": (14, 17, 1, 2, 4, 8, 31),
    "3": (31, 2, 4, 2, 1, 17, 14),
    "4": (2, 6, 10, 18, 31, 2, 2),
    "5": (31, 16, 30, 1, 1, 17, 14),
    "6": (6, 8, 16, 30, 17, 17, 14),
    "7": (31, 1, 2, 4, 8, 8, 8),
    "8": (14, 17, 17, 14, 17, 17, 14),
    "9": (14, 17, 17, 15, 1, 2, 12),
    "A": (14, 17, 17, 31, 17, 17, 17),
    "B": (30, 17, 17, 30, 17, 17, 30),
    "C": (14, 17, 16, 16, 16, 17, 14),
    "D": (28, 18, 17, 17, 17, 18, 28),
    "E": (31, 16, 16, 30, 16, 16, 31),
    "F": (31, 16, 16, 30, 16, 16, 16),
    "G": (14, 17, 16, 23, 17, 17, 15),
    "H": (17, 17, 17, 31, 17, 17, 17),
    "I": (14, 4, 4, 4, 4, 4, 14),
    "J": (7, 2, 2, 2, 2, 18, 12),
    "K": (17, 18, 20, 24, 20, 18, 17),
    "L": (16, 16, 16, 16, 16, 16, 31),
    "M": (17, 27, 21, 21, 17, 17, 17),
    "N": (17, 17, 25, 21, 19, 17, 17),
    "O": (14, 17, 17, 17, 17, 17, 14),
    "P": (30, 17, 17, 30, 16, 16, 16),
    "Q": (14, 17, 17, 17, 21, 18, 13),
    "R": (30, 17, 17, 30, 20, 18, 17),
    "S": (15, 16, 16, 14, 1, 1, 30),
    "T": (31, 4, 4, 4, 4, 4, 4),
    "U": (17, 17, 17, 17, 17, 17, 14),
    "V": (17, 17, 17, 17, 17, 10, 4),
    "W": (17, 17, 17, 21, 21, 21, 10),
    "X": (17, 17, 10, 4, 10, 17, 17),
    "Y": (17, 17, 17, 10, 4, 4, 4),
    "Z": (31, 1, 2, 4, 8, 16, 31),
}


class Canvas:
    """An RGB picture in memory with the few shapes the demo pictures need."""

    def __init__(self, width: int, height: int, background: RGB = (255, 255, 255)) -> None:
        self.width = width
        self.height = height
        self.rows = [bytearray(bytes(background) * width) for _ in range(height)]

    def _span(self, y: int, x0: int, x1: int, color: RGB) -> None:
        if not 0 <= y < self.height:
            return
        x0, x1 = max(0, x0), min(self.width, x1)
        if x1 > x0:
            self.rows[y][x0 * 3 : x1 * 3] = bytes(color) * (x1 - x0)

    def rect(self, x: int, y: int, w: int, h: int, color: RGB) -> None:
        for row in range(y, y + h):
            self._span(row, x, x + w, color)

    def gradient(self, top: RGB, bottom: RGB) -> None:
        """Fill the whole picture with a vertical gradient (light falling on a surface)."""
        for y in range(self.height):
            t = y / max(1, self.height - 1)
            color = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
            self._span(y, 0, self.width, color)  # type: ignore[arg-type]

    def polygon(self, points: Sequence[tuple[float, float]], color: RGB) -> None:
        """A filled polygon, scanline by scanline (even-odd rule)."""
        ys = [p[1] for p in points]
        for y in range(max(0, int(min(ys))), min(self.height, int(max(ys)) + 1)):
            centre = y + 0.5
            crossings = []
            for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True):
                if (y0 <= centre < y1) or (y1 <= centre < y0):
                    crossings.append(x0 + (centre - y0) * (x1 - x0) / (y1 - y0))
            crossings.sort()
            for a, b in zip(crossings[::2], crossings[1::2], strict=False):
                self._span(y, round(a), round(b), color)

    def circle(self, cx: int, cy: int, r: int, color: RGB) -> None:
        for y in range(cy - r, cy + r + 1):
            half = int((r * r - (y - cy) ** 2) ** 0.5)
            self._span(y, cx - half, cx + half + 1, color)

    def line(self, points: Iterable[tuple[int, int]], color: RGB, width: int = 2) -> None:
        """A polyline of square dots: cracks, tape edges, scratches."""
        points = list(points)
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            steps = max(abs(x1 - x0), abs(y1 - y0), 1)
            for i in range(steps + 1):
                x = round(x0 + (x1 - x0) * i / steps)
                y = round(y0 + (y1 - y0) * i / steps)
                self.rect(x - width // 2, y - width // 2, width, width, color)

    def text(self, x: int, y: int, text: str, color: RGB, scale: int = 2) -> None:
        """Capitals and digits in the 5x7 font; an unknown letter leaves a gap."""
        for index, char in enumerate(text.upper()):
            glyph = FONT.get(char, FONT[" "])
            left = x + index * 6 * scale
            for row, bits in enumerate(glyph):
                for col in range(5):
                    if bits & (16 >> col):
                        self.rect(left + col * scale, y + row * scale, scale, scale, color)

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)  # filter type 0 per row
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b"")
        )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def damaged_parcel_png() -> bytes:
    """A crushed cardboard box on a floor, as a customer would photograph it."""
    c = Canvas(480, 360)
    c.gradient((205, 200, 190), (150, 142, 130))  # floor
    c.polygon([(70, 300), (400, 300), (430, 330), (95, 335)], (120, 112, 100))  # shadow
    c.polygon([(80, 130), (330, 130), (330, 300), (80, 300)], (196, 150, 96))  # front
    c.polygon([(330, 130), (410, 90), (410, 262), (330, 300)], (166, 124, 76))  # side
    c.polygon([(80, 130), (160, 90), (410, 90), (330, 130)], (222, 180, 124))  # top
    c.polygon([(175, 90), (215, 90), (135, 130), (95, 130)], (214, 206, 186))  # tape on top
    c.rect(95, 130, 40, 170, (214, 206, 186))  # tape down the front
    # the crushed corner and the tear in it
    c.polygon([(250, 300), (330, 300), (330, 205), (292, 240), (270, 228)], (140, 98, 58))
    c.line([(262, 232), (285, 255), (300, 246), (318, 272), (330, 268)], (70, 48, 28), 3)
    c.line([(330, 210), (356, 224), (372, 214), (398, 236)], (96, 66, 38), 2)
    # the shipping label
    c.rect(170, 170, 120, 70, (250, 250, 246))
    c.text(178, 178, "PAPUMYLLY", (40, 40, 40), 2)
    c.text(178, 200, "HELSINKI", (40, 40, 40), 2)
    for i, bar in enumerate((3, 1, 2, 1, 3, 2, 1, 1, 3, 1, 2, 2, 1, 3, 1, 2)):
        c.rect(178 + i * 6, 220, bar, 14, (30, 30, 30))
    # the "fragile" glass printed on the side
    c.polygon([(356, 150), (384, 136), (378, 170), (362, 178)], (190, 40, 40))
    c.rect(367, 172, 4, 22, (190, 40, 40))
    return c.png()


def rating_plate_png(serial: str, product: str) -> bytes:
    """The type plate under a coffee machine, with its serial number."""
    c = Canvas(480, 300)
    c.gradient((62, 62, 66), (28, 28, 30))  # the machine's black plastic underside
    c.rect(50, 40, 380, 220, (196, 198, 200))  # the aluminium plate
    c.rect(50, 40, 380, 6, (226, 228, 230))
    for x, y in ((62, 52), (410, 52), (62, 240), (410, 240)):
        c.circle(x + 4, y + 4, 5, (120, 122, 126))  # rivets
    ink = (30, 32, 36)
    c.text(76, 62, "PAPUMYLLY OY", ink, 3)
    c.text(76, 104, _plate_text(product)[:26], ink, 2)
    c.text(76, 134, f"S/N {serial}", ink, 3)
    c.text(76, 176, "230V 50HZ 1450W", ink, 2)
    c.text(76, 204, "MADE IN EU  IPX1", ink, 2)
    c.line([(300, 210), (340, 225), (395, 214)], (150, 152, 156), 2)  # a scratch
    return c.png()


def _plate_text(product: str) -> str:
    folded = product.upper().replace("Ä", "A").replace("Ö", "O").replace("Å", "A")
    return "".join(ch if ch in FONT else " " for ch in folded)


# --- PDF -----------------------------------------------------------------------


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi (so ä and ö show with the standard font)."""
    raw = text.encode("cp1252", "replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def simple_pdf(title: str, lines: Sequence[str | tuple[str, str]]) -> bytes:
    """A one-page A4 document: a bold title, then lines (text, or (left, right) pairs).

    Written by hand: a catalogue, a page, its content stream and two of the
    standard fonts, with the cross-reference table at the byte offsets.
    """
    ops = [b"0.2 0.2 0.2 rg", b"BT /F2 18 Tf 56 780 Td " + _pdf_string(title) + b" Tj ET"]
    ops.append(b"0.6 0.6 0.6 RG 1 w 56 766 m 539 766 l S")
    y = 740
    for line in lines:
        if isinstance(line, tuple):
            left, right = line
            ops.append(b"BT /F1 11 Tf 56 %d Td " % y + _pdf_string(left) + b" Tj ET")
            # right-aligned by an estimate of Helvetica's average width
            x = 539 - int(len(right) * 5.6)
            ops.append(b"BT /F1 11 Tf %d %d Td " % (x, y) + _pdf_string(right) + b" Tj ET")
        elif line == "":
            ops.append(b"0.8 0.8 0.8 RG 0.5 w 56 %d m 539 %d l S" % (y + 6, y + 6))
        else:
            ops.append(b"BT /F1 11 Tf 56 %d Td " % y + _pdf_string(line) + b" Tj ET")
        y -= 18
    content = b"\n".join(ops)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# --- the demo's attachments, by kind ----------------------------------------------


def demo_attachment(kind: str, values: dict[str, str], language: str) -> tuple[str, bytes, str]:
    """(file name, content, content type) of one attachment a demo scenario uses.

    ``values`` are the scenario's placeholders (order, invoice, serial, ...).
    """
    fi = language != "en"
    if kind == "damaged_parcel":
        name = "kuljetusvaurio.png" if fi else "damaged-parcel.png"
        return name, damaged_parcel_png(), "image/png"
    if kind == "rating_plate":
        name = "tyyppikilpi.png" if fi else "rating-plate.png"
        return name, rating_plate_png(values["serial"], values["product"]), "image/png"
    if kind == "invoice":
        return _invoice(values, fi)
    if kind == "return_label":
        return _return_label(values, fi)
    raise ValueError(f"unknown demo attachment {kind!r}")


def _invoice(values: dict[str, str], fi: bool) -> tuple[str, bytes, str]:
    number = values["invoice"]
    customer = values["company"] if values["company"] not in ("yrityksemme", "our company") else ""
    lines: list[str | tuple[str, str]] = [
        "Papumylly Oy, Kahvikuja 3, 00100 Helsinki",
        "",
        ((("Laskun numero" if fi else "Invoice number"), number)),
        ((("Tilaus" if fi else "Order"), values["order"])),
        ((("Laskun päivä" if fi else "Invoice date"), values["date"])),
        ((("Asiakas" if fi else "Customer"), customer or values["name"])),
        "",
        (values["product"], f"{values['amount']} €"),
        (("Toimituskulut" if fi else "Delivery"), "0,00 €"),
        "",
        (
            ("Yhteensä (sis. ALV 25,5 %)" if fi else "Total (incl. VAT 25.5%)"),
            f"{values['amount']} €",
        ),
        (("Maksuehto" if fi else "Terms"), ("14 päivää netto" if fi else "14 days net")),
    ]
    title = f"Papumylly Oy – {'Lasku' if fi else 'Invoice'} {number}"
    filename = f"{'lasku' if fi else 'invoice'}-{number}.pdf"
    return filename, simple_pdf(title, lines), "application/pdf"


def _return_label(values: dict[str, str], fi: bool) -> tuple[str, bytes, str]:
    order = values["order"]
    lines: list[str | tuple[str, str]] = [
        ("Lähettäjä" if fi else "Sender") + f": {values['name']}",
        ("Vastaanottaja" if fi else "Recipient")
        + ": Papumylly Oy / "
        + ("Palautukset" if fi else "Returns"),
        "Varastotie 4, 01510 Vantaa",
        "",
        (("Tilaus" if fi else "Order"), order),
        (("Palautuskoodi" if fi else "Return code"), "RT" + order.removeprefix("PM-")),
        "",
        (
            "Kiinnitä tarra paketin päälle ja vie paketti Postiin."
            if fi
            else "Stick the label on the parcel and take it to Posti."
        ),
    ]
    title = "Papumylly Oy – " + ("Palautustarra" if fi else "Return label")
    filename = f"{'palautustarra' if fi else 'return-label'}-{order}.pdf"
    return filename, simple_pdf(title, lines), "application/pdf"
