"""Charts drawn on the server as accessible SVG: no script, no library.

Each chart has a <title> and <desc> (named by aria-labelledby), every bar
and cell its own <title> with the exact figure, and the page puts the same
numbers in a table beside it, so a screen reader or a printout loses
nothing. Colours come from classes in reports.css (the CSP allows no
style attributes).
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Callable

from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .metrics import Table, Value

_ids = itertools.count(1)


def _svg(template: str, *args: object) -> SafeString:
    """format_html that keeps numbers numbers, so coordinates can be formatted ({:.1f})."""
    values = [
        a if isinstance(a, int | float) and not isinstance(a, bool) else conditional_escape(a)
        for a in args
    ]
    return mark_safe(template.format(*values))


WIDTH, HEIGHT = 760, 240
LEFT, BOTTOM, TOP = 48, 42, 12
# A character of an axis label is about this wide in the axis font
# ("31.12.2026" about 60 px), and labels keep this much apart.
LABEL_CHAR_WIDTH = 6
LABEL_GAP = 8


def _label_width(text: object) -> int:
    return LABEL_CHAR_WIDTH * len(str(text))


def _scale(value: float) -> tuple[float, int]:
    """A round top for the axis and its number of steps (at most five), so
    counts get whole-number ticks: 23 -> (25, 5), 11 -> (15, 3), 7 -> (8, 4)."""
    if value <= 0:
        return 1, 1
    magnitude = 10 ** max(0, len(str(int(value))) - 1)
    for base in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20):
        step = base * magnitude
        # 12.5 tickets is no tick for a count (the demo's 11 gave 0, 2.5, ... 12.5).
        if value >= 1 and step != int(step):
            continue
        steps = math.ceil(value / step)
        if steps <= 5:
            return steps * step, steps
    return 10 * magnitude, 1


def bar_chart(
    table: Table,
    fmt: Callable[[Value], str],
    link: Callable[[Value], str],
) -> SafeString:
    """Grouped bars: one group per row, one bar per series column."""
    keys = [key for key, _label in table.columns]
    series = [s for s in table.series if s in keys]
    if not table.rows or not series:
        return mark_safe("")
    labels = {key: label for key, label in table.columns}
    index = [keys.index(s) for s in series]
    values = [[row[i].value or 0 for i in index] for row in table.rows]
    top, steps = _scale(max((max(v) for v in values), default=0))
    uid = next(_ids)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    group_w = plot_w / len(table.rows)
    # Thin bars for many rows, never a wall of colour for a few.
    bar_w = min(48.0, max(1.0, group_w * 0.8 / len(series)))
    parts: list[SafeString] = []
    for tick in range(steps + 1):
        y = TOP + plot_h - plot_h * tick / steps
        parts.append(
            _svg(
                '<line class="grid" x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}"></line>'
                '<text class="axis" x="{}" y="{:.1f}" text-anchor="end">{}</text>',
                LEFT,
                WIDTH - 8,
                y,
                y,
                LEFT - 4,
                y + 4,
                fmt(Value(top * tick / steps)),
            )
        )
    # Label every n-th group so labels never overlap: at most twelve, and
    # as far apart as the longest label needs ("marraskuu 2026" takes more
    # room than "11.12.2026").
    widest = max(_label_width(row[0].value) for row in table.rows) + LABEL_GAP
    every = max(1, round(len(table.rows) / 12), math.ceil(widest / group_w))
    for r, row in enumerate(table.rows):
        x0 = LEFT + r * group_w + (group_w - bar_w * len(series)) / 2
        for s, column in enumerate(index):
            cell = row[column]
            value = cell.value or 0
            h = plot_h * value / top
            rect = _svg(
                '<rect class="bar s{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}">'
                "<title>{}: {} {}</title></rect>",
                s,
                x0 + s * bar_w,
                TOP + plot_h - h,
                bar_w,
                max(h, 0.5),
                row[0].value,
                labels[series[s]],
                fmt(cell),
            )
            href = link(cell)
            parts.append(_svg('<a href="{}">{}</a>', href, rect) if href else rect)
        x = LEFT + r * group_w + group_w / 2
        # A label centred near the right edge would be cut ("31.12.202"), and
        # one moved left to fit would run into its neighbour: it is left out
        # (the table under the chart has every row).
        if r % every == 0 and x + _label_width(row[0].value) / 2 <= WIDTH:
            parts.append(
                _svg(
                    '<text class="axis" x="{:.1f}" y="{}" text-anchor="middle">{}</text>',
                    x,
                    HEIGHT - BOTTOM + 16,
                    row[0].value,
                )
            )
    legend = format_html_join(
        "",
        '<rect class="bar s{}" x="{}" y="{}" width="10" height="10"></rect>'
        '<text class="axis" x="{}" y="{}">{}</text>',
        (
            (s, LEFT + s * 150, HEIGHT - 14, LEFT + s * 150 + 14, HEIGHT - 5, labels[key])
            for s, key in enumerate(series)
        ),
    )
    desc = _(
        "Bar chart of %(series)s for %(count)d rows; the same figures are in the table below."
    ) % {
        "series": ", ".join(str(labels[s]) for s in series),
        "count": len(table.rows),
    }
    return _svg(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="c{}t c{}d">'
        '<title id="c{}t">{}</title><desc id="c{}d">{}</desc>{}{}</svg>',
        WIDTH,
        HEIGHT,
        uid,
        uid,
        uid,
        table.title,
        uid,
        desc,
        mark_safe("".join(parts)),
        legend,
    )


def heatmap(
    table: Table, fmt: Callable[[Value], str], link: Callable[[Value], str] | None = None
) -> SafeString:
    """Weekday rows x 24 hour columns, darker for more; a cell with tickets
    links to them (its drill-down).

    Written with plain string formatting (labels escaped once per row): a
    page holds a grid per channel, thousands of cells.
    """
    if not table.rows:
        return mark_safe("")
    uid = next(_ids)
    cell_w, cell_h, left, top = 28, 22, 44, 18
    peak = max((c.value or 0 for row in table.rows for c in row[1:]), default=0) or 1
    parts: list[str] = [
        f'<text class="axis" x="{left + hour * cell_w + cell_w / 2}" y="{top - 5}"'
        f' text-anchor="middle">{hour:02d}</text>'
        for hour in range(0, 24, 2)
    ]
    for r, row in enumerate(table.rows):
        y = top + r * cell_h
        day = html.escape(str(row[0].value))
        parts.append(
            f'<text class="axis" x="{left - 6}" y="{y + cell_h * 0.7:.1f}"'
            f' text-anchor="end">{day}</text>'
        )
        for hour, cell in enumerate(row[1:]):
            level = 0 if not cell.value else 1 + min(4, int(4 * cell.value / peak))
            rect = (
                f'<rect class="heat h{level}" x="{left + hour * cell_w}" y="{y}"'
                f' width="{cell_w - 2}" height="{cell_h - 2}"><title>{day}'
                f" {hour:02d}–{(hour + 1) % 24:02d}: {html.escape(fmt(cell))}</title></rect>"
            )
            url = link(cell) if link is not None and cell.drill else ""
            parts.append(f'<a href="{html.escape(url)}">{rect}</a>' if url else rect)
    width, height = left + 24 * cell_w + 4, top + 7 * cell_h + 4
    desc = _(
        "Tickets created by weekday and hour of day, darker for more;"
        " the same figures are in the table."
    )
    return _svg(
        '<svg class="chart heatmap" viewBox="0 0 {} {}" role="img" aria-labelledby="c{}t c{}d">'
        '<title id="c{}t">{}</title><desc id="c{}d">{}</desc>{}</svg>',
        width,
        height,
        uid,
        uid,
        uid,
        table.title,
        uid,
        desc,
        mark_safe("".join(parts)),
    )
