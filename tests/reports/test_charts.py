"""The SVG charts' axes: whole-number ticks for counts, labels inside the picture."""

from __future__ import annotations

import re

from tiski.reports.charts import WIDTH, _scale, bar_chart
from tiski.reports.metrics import Table, Value


def test_count_axes_have_whole_ticks_and_room_for_the_tallest_bar():
    for value in range(1, 5001):
        top, steps = _scale(value)
        assert top >= value and 1 <= steps <= 5
        step = top / steps
        assert step == int(step), f"{value}: ticks of {step}"


def test_small_fractions_keep_fine_ticks():
    assert _scale(0.7) == (0.8, 4)


def test_day_labels_stay_inside_the_chart_and_apart():
    rows = [[Value(f"{day}.12.2026"), Value(day % 7)] for day in range(1, 32)]
    table = Table(
        key="volume",
        title="Created",
        columns=[("day", "Day"), ("created", "Created")],
        rows=rows,
        chart="bars",
        series=["created"],
    )
    svg = str(bar_chart(table, fmt=lambda v: str(v.value), link=lambda v: ""))
    label = r'<text class="axis" x="([\d.]+)" y="\d+" text-anchor="(\w+)">(\d+\.12\.2026)<'
    labels = re.findall(label, svg)
    assert labels, svg[:500]
    for x, anchor, _text in labels:
        # a centred label of ten characters needs about 30 px on either side
        assert anchor == "middle" and float(x) + 30 <= WIDTH
    # and the labels keep apart: centres at least a label's width from each other
    centres = [float(x) for x, _anchor, _text in labels]
    assert all(b - a >= 60 for a, b in zip(centres, centres[1:], strict=False))


def test_month_labels_keep_apart_however_long_their_names():
    """Finnish month names are long ("marraskuu 2026"): twelve of them side by
    side once ran into each other, so fewer are written, none overlapping."""
    months = [
        "tammikuu",
        "helmikuu",
        "maaliskuu",
        "huhtikuu",
        "toukokuu",
        "kesäkuu",
        "heinäkuu",
        "elokuu",
        "syyskuu",
        "lokakuu",
        "marraskuu",
        "joulukuu",
    ]
    rows = [[Value(f"{name} 2026"), Value(i)] for i, name in enumerate(months)]
    table = Table(
        key="volume",
        title="Created",
        columns=[("month", "Month"), ("created", "Created")],
        rows=rows,
        chart="bars",
        series=["created"],
    )
    svg = str(bar_chart(table, fmt=lambda v: str(v.value), link=lambda v: ""))
    found = re.findall(
        r'<text class="axis" x="([\d.]+)" y="\d+" text-anchor="middle">(\w+ 2026)<', svg
    )
    assert len(found) >= 4, svg[:500]
    for (x1, text1), (x2, text2) in zip(found, found[1:], strict=False):
        # each label's half on either side, at about 6 px a character, never meet
        assert float(x2) - float(x1) >= 3 * (len(text1) + len(text2)), (text1, text2)
    assert all(float(x) + 3 * len(text) <= WIDTH for x, text in found)
