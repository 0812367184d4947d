"""Charts of the back-office home: a chart's figures (the same rows for its table, its CSV and its picture) and
its picture, an SVG drawn on the server with pygal.

The SVG goes inline into the page: it needs no script (pygal's own inline script, which only adds tooltips, is
taken out, so the page keeps its Content-Security-Policy), no request to another site, and prints as sharp as
the text. Screen readers skip the picture (aria-hidden) and read the chart's table, which is always in the page;
docs/automation.md ("Dashboards") says why this over a JavaScript library.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pygal
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

log = logging.getLogger(__name__)

SVG_NS = "{http://www.w3.org/2000/svg}"
# Colours that stay apart in grey when printed (dark blue, orange, teal, grey, ...).
COLOURS = ("#1f4e79", "#e07b00", "#2a9d8f", "#7f7f7f", "#b5179e", "#6a994e", "#9c6644", "#4361ee")
STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1d2329",
    foreground_strong="#1d2329",
    foreground_subtle="#6b7680",
    colors=COLOURS,
    opacity="1",
    opacity_hover="1",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    no_data_font_size=20,
)
SVG_CACHE_SECONDS = 24 * 3600
KINDS = {"bar": pygal.Bar, "stacked": pygal.StackedBar, "horizontal": pygal.HorizontalBar, "line": pygal.Line}


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal | int | None]


@dataclass(frozen=True)
class Chart:
    """One chart: `labels` along its axis, a series per currency (or per center), and the table of the same
    figures (`columns`, `rows`) that the page shows to screen readers and in print, and the CSV exports."""

    slug: str
    title: str
    kind: str
    labels: Sequence[str]
    series: Sequence[Series]
    columns: Sequence[str]
    rows: Sequence[Sequence]
    note: str = ""
    empty_text: str = "Nothing yet."
    money: bool = True
    narrow: bool = False  # drawn for half the page's width (beside another panel)

    @property
    def empty(self) -> bool:
        return not any(v for s in self.series for v in s.values)

    @property
    def table(self) -> list[list[tuple[object, bool]]]:
        """The rows for the page's table, each cell with whether it is a number (right-aligned)."""
        return [[(cell, isinstance(cell, int | Decimal)) for cell in row] for row in self.rows]

    @property
    def svg(self) -> SafeString:
        return chart_svg(self)


def _no_script(root):
    """pygal's tooltips script is inline (blocked by the page's Content-Security-Policy) and is not needed."""
    for parent in root.iter():
        for child in list(parent):
            if child.tag in (f"{SVG_NS}script", "script"):
                parent.remove(child)
    root.set("aria-hidden", "true")
    root.set("focusable", "false")
    return root


def _compact(value: float) -> str:
    """Axis and value labels that fit: 950, 12k, 1.2M."""
    size = abs(value)
    if size >= 1_000_000:
        return f"{value / 1_000_000:,.1f}M".replace(".0M", "M")
    if size >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}"


def chart_svg(chart: Chart) -> SafeString:
    """The chart as inline SVG markup (no XML declaration, no script), sized by its container.

    Drawing takes pygal tens of milliseconds a chart, so a drawing is kept in the cache under a digest of what
    it shows: the figures are read fresh on every request, and the same figures are drawn once."""
    shown = repr(
        (
            chart.kind,
            chart.narrow,
            chart.empty_text,
            list(chart.labels),
            [(s.name, list(s.values)) for s in chart.series],
        )
    )
    key = f"chart-svg:{pygal.__version__}:{hashlib.sha256(shown.encode()).hexdigest()}"
    try:
        svg = cache.get(key)
    except Exception:
        log.warning("the cache is not answering; drawing %s without it", chart.slug, exc_info=True)
        return mark_safe(_draw(chart))
    if svg is None:
        svg = _draw(chart)
        try:
            cache.set(key, svg, SVG_CACHE_SECONDS)
        except Exception:
            log.warning("could not cache the drawing of %s", chart.slug, exc_info=True)
    return mark_safe(svg)  # pygal escapes the labels and values it writes


def _draw(chart: Chart) -> str:
    horizontal = chart.kind == "horizontal"
    narrow = horizontal or chart.narrow
    legend = len(chart.series) > 1
    rotate = not horizontal and len(chart.labels) > 10
    drawing = KINDS[chart.kind](
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        explicit_size=False,
        width=560 if narrow else 800,
        height=(max(260, 30 * len(chart.labels) + 70) if horizontal else 320) + (40 if legend else 0),
        show_legend=legend,
        legend_at_bottom=True,
        legend_at_bottom_columns=min(len(chart.series), 3),
        x_label_rotation=35 if rotate else 0,
        truncate_label=24 if horizontal else 12,
        truncate_legend=40,
        show_x_guides=False,
        margin=10,
        spacing=8,
        print_zeroes=False,
        value_formatter=_compact,
        y_labels_major_count=5,
        no_data_text=chart.empty_text,
    )
    drawing.add_xml_filter(_no_script)
    drawing.x_labels = list(chart.labels)
    for series in chart.series:
        drawing.add(series.name, [None if v is None else float(v) for v in series.values])
    return drawing.render(is_unicode=True)
