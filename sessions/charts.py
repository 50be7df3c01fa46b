"""Server-rendered SVG charts for the statistics pages: horizontal bars and lines over the years.

No script and no style attribute (the Content-Security-Policy forbids both): shapes carry SVG
presentation attributes (fill, stroke) and classes from static/portal/statistics.css. Each chart
is an image with a title and a description for screen readers (role="img", <title>, <desc>);
the page shows the same figures in a table beside it. Colours keep at least 3:1 contrast with
the white background, and lines also differ by the shape of their markers and their dashes.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# Dark enough against white (contrast ≥ 4.5:1) and told apart by people with colour-vision deficiencies.
PALETTE = ("#1f4e9c", "#b03a00", "#1b6e3a", "#7a2d8c", "#7a5a00", "#4b5563")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2")
TEXT = "#1f2937"
GRID = "#d1d5db"

WIDTH = 720
BAR_HEIGHT = 22
BAR_GAP = 10
LABEL_WIDTH = 250
VALUE_WIDTH = 110


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | None  # None: a suppressed count, drawn as no bar
    text: str  # what is written after the bar ("230", "fewer than 5")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


def nice_step(maximum: float, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` grid lines up to `maximum`."""
    if maximum <= ticks:
        return 1
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover


def _open(chart_id: str, title: str, description: str, height: int) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {} {}" '
        'aria-labelledby="{}-title {}-desc" font-family="inherit" font-size="13" fill="{}">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
        WIDTH, height, chart_id, chart_id, TEXT, chart_id, title, chart_id, description,
    )  # fmt: skip


def _shorten(label: str, characters: int = 34) -> str:
    return label if len(label) <= characters else label[: characters - 1].rstrip() + "…"


def bar_chart(*, chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> SafeString:
    """Horizontal bars, one per category, each with its figure written after it."""
    top = 8
    height = top * 2 + len(bars) * (BAR_HEIGHT + BAR_GAP)
    plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max((bar.value or 0 for bar in bars), default=0) or 1
    parts = [_open(chart_id, title, description, height)]
    for index, bar in enumerate(bars):
        y = top + index * (BAR_HEIGHT + BAR_GAP)
        middle = y + BAR_HEIGHT / 2 + 4
        length = round(plot_width * (bar.value or 0) / largest, 1)
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>', LABEL_WIDTH - 8, middle, _shorten(bar.label)
            )
        )
        if bar.value:
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>',
                    LABEL_WIDTH, y, max(length, 1), BAR_HEIGHT, PALETTE[0],
                )  # fmt: skip
            )
        parts.append(format_html('<text x="{}" y="{}">{}</text>', LABEL_WIDTH + length + 6, middle, bar.text))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))


_MARKERS = (
    lambda x, y, colour: format_html('<circle cx="{}" cy="{}" r="4" fill="{}"></circle>', x, y, colour),
    lambda x, y, colour: format_html('<rect x="{}" y="{}" width="8" height="8" fill="{}"></rect>', x - 4, y - 4, colour),
    lambda x, y, colour: format_html(
        '<polygon points="{},{} {},{} {},{}" fill="{}"></polygon>', x, y - 5, x - 5, y + 4, x + 5, y + 4, colour
    ),
    lambda x, y, colour: format_html(
        '<polygon points="{},{} {},{} {},{} {},{}" fill="{}"></polygon>', x, y - 5, x + 5, y, x, y + 5, x - 5, y, colour
    ),
    lambda x, y, colour: format_html(
        '<path d="M{} {}L{} {}M{} {}L{} {}" stroke="{}" stroke-width="2.5"></path>',
        x - 4, y - 4, x + 4, y + 4, x - 4, y + 4, x + 4, y - 4, colour,
    ),  # fmt: skip
    lambda x, y, colour: format_html(
        '<circle cx="{}" cy="{}" r="4" fill="#ffffff" stroke="{}" stroke-width="2"></circle>', x, y, colour
    ),
)


def line_chart(
    *, chart_id: str, title: str, description: str, x_labels: Sequence[str], series: Sequence[Series]
) -> SafeString:
    """Lines over the sessions, one per series, with a grid, the axis labels and a legend below."""
    left, right, top, plot_height = 56, 44, 16, 220
    legend_rows = math.ceil(len(series) / 2)
    height = top + plot_height + 40 + legend_rows * 22 + 8
    plot_width = WIDTH - left - right
    largest = max((value for line in series for value in line.values), default=0)
    step = nice_step(largest)
    ceiling = max(step, math.ceil(largest / step) * step)
    bottom = top + plot_height
    count = len(x_labels)

    def x_of(index: int) -> float:
        return round(left + (plot_width / 2 if count == 1 else plot_width * index / (count - 1)), 1)

    def y_of(value: float) -> float:
        return round(bottom - plot_height * value / ceiling, 1)

    parts = [_open(chart_id, title, description, height)]
    for tick in range(0, ceiling + 1, step):
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"></line>'
                '<text x="{}" y="{}" text-anchor="end">{}</text>',
                left, WIDTH - right, y_of(tick), y_of(tick), GRID, left - 8, y_of(tick) + 4, tick,
            )  # fmt: skip
        )
    # Every label when they fit, otherwise every second or third one.
    every = max(1, math.ceil(count / 12))
    for index, label in enumerate(x_labels):
        if index % every == 0 or index == count - 1:
            parts.append(
                format_html('<text x="{}" y="{}" text-anchor="middle">{}</text>', x_of(index), bottom + 20, label)
            )
    for number, line in enumerate(series):
        colour, dash = PALETTE[number % len(PALETTE)], DASHES[number % len(DASHES)]
        points = " ".join(f"{x_of(index)},{y_of(value)}" for index, value in enumerate(line.values))
        if len(line.values) > 1:
            parts.append(
                format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"{}></polyline>',
                    points, colour, format_html(' stroke-dasharray="{}"', dash) if dash else "",
                )  # fmt: skip
            )
        marker = _MARKERS[number % len(_MARKERS)]
        parts.append(
            format_html_join("", "{}", ((marker(x_of(index), y_of(value), colour),) for index, value in enumerate(line.values)))
        )
        legend_x = left + (number % 2) * (plot_width / 2)
        legend_y = bottom + 44 + (number // 2) * 22
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2.5"{}></line>{}'
                '<text x="{}" y="{}">{}</text>',
                legend_x, legend_x + 28, legend_y, legend_y, colour,
                format_html(' stroke-dasharray="{}"', dash) if dash else "",
                marker(legend_x + 14, legend_y, colour), legend_x + 36, legend_y + 4, line.name,
            )  # fmt: skip
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))


def table_chart(table, *, chart_id: str) -> SafeString:
    """The chart of a statistics table (see sessions.statistics.Table), or "" when it has none or nothing to draw."""
    from django.utils.translation import gettext

    from .statistics import Cell

    def number(cell) -> int | None:
        return cell.shown if isinstance(cell, Cell) else cell

    if not table.chart or not table.rows:
        return mark_safe("")
    if table.chart == "bar":
        column = table.columns[0]
        if not any(number(row[column]) for row in table.rows):
            return mark_safe("")
        return bar_chart(
            chart_id=chart_id,
            title=table.title,
            description=gettext("Bar chart of %(figure)s by %(category)s. The figures are in the table beside it.")
            % {"figure": table.header[column].lower(), "category": table.header[0].lower()},
            bars=[Bar(str(row[0]), number(row[column]), str(row[column])) for row in table.rows],
        )
    return line_chart(
        chart_id=chart_id,
        title=table.title,
        description=gettext("Line chart of %(figures)s over %(count)s sessions. The figures are in the table beside it.")
        % {"figures": ", ".join(table.header[column].lower() for column in table.columns), "count": len(table.rows)},
        x_labels=[str(row[0]) for row in table.rows],
        series=[Series(table.header[column], [number(row[column]) or 0 for row in table.rows]) for column in table.columns],
    )
