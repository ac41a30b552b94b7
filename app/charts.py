"""Bar charts drawn on the server as inline SVG: no JavaScript, no library, no
asset to download (the app works offline and under a strict CSP).

Two builders, `vertical_bar_chart` (months) and `horizontal_bar_chart` (top
customers, aged balance buckets). Both return a `<figure>` (Markup) holding:
- the SVG, role="img" with a <title>, an aria-label and a <desc>; each bar is a
  group with its own <title> and aria-label (« novembre 2026 : 1 234,56 € ») and
  is labelled on screen with its value, so nothing depends on colour alone;
  bars may carry a hatch pattern (PATTERNS) to tell categories apart in grey;
- a data table with the same figures, behind a « show the data » disclosure,
  for screen readers and for whoever wants the exact numbers.

Nothing here knows Flask or the locale: the caller passes the texts already
translated and every value already formatted (`display`, `short`), plus a
function formatting the axis ticks (see `money_formatter`, `count_formatter`).
Every text goes through markupsafe.escape: customer names are user input.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Callable, Optional, Sequence

from babel.numbers import format_currency, format_decimal
from markupsafe import Markup, escape

# Colours against white: texts 6.7:1 or more, bars and axis lines 4.5:1 or more.
INK = "#2c3e50"
MUTED_INK = "#4d5d6c"
GRID = "#e3e8ec"
AXIS = "#6b7b8c"
BAR = "#1f6f8b"
NEGATIVE = "#b03a2e"

# Fills telling bars apart without colour: name → SVG pattern drawer.
PATTERNS = ("solid", "dots", "diagonal", "crosshatch", "dense")

FONT = 12                 # px in the SVG's own units (the SVG is drawn about 1:1)
CHAR_WIDTH = 0.6          # average glyph width, in ems (digits, lower case)
NBSP = "\u00a0"
WIDE = 800                # drawing width from which a chart is « wide » (charts.css)


@dataclass(frozen=True)
class Bar:
    """One bar. `label` is written on the axis (short: « nov. »), `name` is the
    full name read by screen readers and shown in the table (« novembre 2026 »),
    `display` the formatted value (« 1 234,56 € »), `short` the value written on
    the bar when it must be shorter (« 1 235 € »)."""

    label: str
    value: Decimal | int | float
    display: str
    name: Optional[str] = None
    short: Optional[str] = None
    sublabel: Optional[str] = None   # second line under the axis label (the year)
    pattern: Optional[str] = None    # one of PATTERNS; None: plain fill
    color: Optional[str] = None      # None: the chart's colour

    @property
    def full_name(self) -> str:
        return self.name or self.label

    @property
    def on_bar(self) -> str:
        return self.short or self.display

    @property
    def description(self) -> str:
        return f"{self.full_name}{NBSP}: {self.display}"


# Formatters (pure: the locale is an argument) --------------------------------------------

def money_formatter(locale: str = "fr_FR", currency: str = "EUR",
                    cents: Optional[bool] = True) -> Callable:
    """1 234,56 € (cents=True), 1 235 € (False: labels on narrow bars), or cents only
    when there are some: 2 500 €, 0,25 € (None: axis ticks)."""
    def with_cents(value):
        return format_currency(Decimal(value), currency, locale=locale)

    def whole(value):
        return format_currency(Decimal(value), currency, format="#,##0\u00a0¤",
                               currency_digits=False, locale=locale)

    if cents is None:
        return lambda value: whole(value) if Decimal(value) % 1 == 0 else with_cents(value)
    return with_cents if cents else whole


def count_formatter(locale: str = "fr_FR") -> Callable:
    return lambda value: format_decimal(Decimal(value), format="#,##0", locale=locale)


# Geometry helpers ---------------------------------------------------------------------------

def _e(text) -> str:
    return str(escape("" if text is None else text))


def _n(number: float) -> str:
    """A coordinate, short and locale-free."""
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text_width(text: str, size: float = FONT) -> float:
    return len(text or "") * size * CHAR_WIDTH


def _ident(chart_id: str) -> str:
    cleaned = re.sub(r"[^a-z0-9_-]+", "-", (chart_id or "chart").lower()).strip("-")
    return cleaned or "chart"


def _truncate(text: str, width: float, size: float = FONT) -> str:
    """Cut a label that would not fit in `width` (its full text stays in <title>)."""
    most = max(int(width / (size * CHAR_WIDTH)), 4)
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


def _tick_number(value: float):
    if abs(value - round(value)) < 1e-9:
        return Decimal(int(round(value)))
    return Decimal(repr(round(value, 6)))


def nice_ticks(low: float, high: float, count: int = 4, integer: bool = False
               ) -> list[float]:
    """Round tick values covering [min(low, 0), max(high, 0)]. All zero: 0 and 1."""
    low, high = min(float(low), 0.0), max(float(high), 0.0)
    if high - low <= 0:
        return [0.0, 1.0]
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for factor in ((1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)):
        if factor * magnitude >= raw - 1e-12:
            step = factor * magnitude
            break
    if integer:
        step = max(1.0, math.ceil(step))
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    steps = int(round((last - first) / step))
    return [first + index * step for index in range(steps + 1)]


def _pattern_defs(ident: str, bars: Sequence[Bar], default_color: str) -> tuple[str, dict]:
    """<defs> for the patterns the bars use; returns (markup, (pattern, colour) → fill)."""
    fills, defs = {}, []
    for bar in bars:
        color = bar.color or default_color
        pattern = bar.pattern or "solid"
        if (pattern, color) in fills:
            continue
        if pattern == "solid":
            fills[(pattern, color)] = color
            continue
        pattern_id = f"{ident}-p{len(defs)}"
        defs.append(_pattern(pattern_id, pattern, color))
        fills[(pattern, color)] = f"url(#{pattern_id})"
    return ("<defs>" + "".join(defs) + "</defs>") if defs else "", fills


def _pattern(pattern_id: str, pattern: str, color: str) -> str:
    color = _e(color)
    head = f'<pattern id="{pattern_id}" patternUnits="userSpaceOnUse"'
    background = '<rect width="8" height="8" fill="#fff"/>'
    if pattern == "dots":
        return (f'{head} width="6" height="6"><rect width="6" height="6" fill="#fff"/>'
                f'<circle cx="3" cy="3" r="1.6" fill="{color}"/></pattern>')
    if pattern == "diagonal":
        return (f'{head} width="8" height="8" patternTransform="rotate(45)">{background}'
                f'<rect width="3" height="8" fill="{color}"/></pattern>')
    if pattern == "crosshatch":
        return (f'{head} width="8" height="8" patternTransform="rotate(45)">{background}'
                f'<rect width="2.5" height="8" fill="{color}"/>'
                f'<rect width="8" height="2.5" fill="{color}"/></pattern>')
    if pattern == "dense":
        return (f'{head} width="6" height="6" patternTransform="rotate(-45)">'
                f'<rect width="6" height="6" fill="#fff"/>'
                f'<rect width="4.5" height="6" fill="{color}"/></pattern>')
    raise ValueError(f"unknown pattern {pattern!r}")


def pattern_swatch(pattern: Optional[str], color: str, ident: str, size: int = 14) -> Markup:
    """A small square drawn like a bar (for legends and table headers); decorative."""
    ident = _ident(ident)
    defs, fills = _pattern_defs(ident, [Bar("", 0, "", pattern=pattern, color=color)], color)
    fill = fills[(pattern or "solid", color)]
    return Markup(
        f'<svg class="pl-swatch" width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
        f'aria-hidden="true" focusable="false">{defs}'
        f'<rect x="0.75" y="0.75" width="{size - 1.5}" height="{size - 1.5}" fill="{fill}" '
        f'stroke="{_e(color)}" stroke-width="1.5"/></svg>')


def _bar_group(bar: Bar, classes: str, shape: str, text: str) -> str:
    label = _e(bar.description)
    return (f'<g class="{classes}" role="img" aria-label="{label}"><title>{label}</title>'
            f'{shape}{text}</g>')


def _svg_open(ident: str, width: float, height: float, title: str, description: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="pl-chart-svg" '
            f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="{_e(title)}" '
            f'aria-describedby="{ident}-desc" focusable="false" '
            f'font-size="{FONT}" font-family="inherit">'
            f'<title>{_e(title)}</title><desc id="{ident}-desc">{_e(description or title)}</desc>')


def _data_table(ident: str, bars: Sequence[Bar], title: str, label_header: str,
                value_header: str, total: Optional[tuple[str, str]]) -> str:
    rows = "".join(
        f'<tr><th scope="row">{_e(bar.full_name)}</th>'
        f'<td class="pl-num">{_e(bar.display)}</td></tr>' for bar in bars)
    foot = ""
    if total is not None:
        foot = (f'<tfoot><tr><th scope="row">{_e(total[0])}</th>'
                f'<td class="pl-num">{_e(total[1])}</td></tr></tfoot>')
    return (f'<table class="table table-condensed pl-chart-table" id="{ident}-data">'
            f'<caption>{_e(title)}</caption><thead><tr><th scope="col">{_e(label_header)}</th>'
            f'<th scope="col" class="pl-num">{_e(value_header)}</th></tr></thead>'
            f'<tbody>{rows}</tbody>{foot}</table>')


def _figure(ident: str, kind: str, title: str, subtitle: Optional[str], svg: str, table: str,
            toggle_label: str, caption: bool, width: float) -> Markup:
    head = ""
    if caption:
        sub = f'<span class="pl-chart-subtitle">{_e(subtitle)}</span>' if subtitle else ""
        head = (f'<figcaption class="pl-chart-caption"><span class="pl-chart-title">'
                f'{_e(title)}</span>{sub}</figcaption>')
    data = ""
    if table:
        data = (f'<details class="pl-chart-data"><summary>{_e(toggle_label)}</summary>'
                f'{table}</details>')
    # On a narrow screen a wide chart keeps a readable size and scrolls sideways (charts.css).
    size = " pl-chart-wide" if width >= WIDE else ""
    return Markup(f'<figure class="pl-chart pl-chart-{kind}{size}" id="{ident}">{head}'
                  f'<div class="pl-chart-canvas">{svg}</div>{data}</figure>')


# Vertical bars (one per month) ----------------------------------------------------------------

def vertical_bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str,
                       label_header: str, value_header: str,
                       tick_format: Optional[Callable] = None, integer: bool = False,
                       description: str = "", subtitle: Optional[str] = None,
                       total: Optional[tuple[str, str]] = None,
                       toggle_label: str = "Afficher les données",
                       color: str = BAR, width: float = 560, plot_height: float = 180,
                       caption: bool = True, data_table: bool = True) -> Markup:
    """Vertical bars over a value axis with round ticks (formatted by
    `tick_format`); negative values go below the zero line, in another colour
    and hatched. Each bar's value is written at its end, turned upright when the
    bars are too narrow for it. `total`: (label, formatted value) for the table."""
    ident = _ident(chart_id)
    tick_format = tick_format or count_formatter()
    bars = list(bars)
    values = [float(bar.value) for bar in bars]
    ticks = nice_ticks(min(values, default=0), max(values, default=0), integer=integer)
    tick_labels = [tick_format(_tick_number(tick)) for tick in ticks]
    has_negative = any(value < 0 for value in values)
    styled = [bar if float(bar.value) >= 0 or bar.pattern else
              replace(bar, pattern="diagonal", color=bar.color or NEGATIVE)
              for bar in bars]

    left = max((_text_width(text) for text in tick_labels), default=0) + 12
    right = 6
    slot = (width - left - right) / max(len(bars), 1)
    bar_width = max(min(slot * 0.62, 46), 2)
    widest = max((_text_width(bar.on_bar) for bar in bars), default=0)
    upright = widest > slot - 3
    label_space = (widest + 8) if upright else FONT + 7
    two_lines = any(bar.sublabel for bar in bars)
    axis_space = FONT * (2 if two_lines else 1) + 14
    top = label_space
    plot_bottom = top + plot_height
    bottom_labels = label_space if has_negative else 0
    height = plot_bottom + bottom_labels + axis_space

    low, high = ticks[0], ticks[-1]

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * plot_height

    zero = y(0.0)
    defs, fills = _pattern_defs(ident, styled, color)
    parts = [_svg_open(ident, width, height, title, description), defs]

    parts.append('<g class="pl-axis" aria-hidden="true">')
    for tick, text in zip(ticks, tick_labels):
        ty = y(tick)
        parts.append(f'<line x1="{_n(left)}" x2="{_n(width - right)}" y1="{_n(ty)}" '
                     f'y2="{_n(ty)}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{_n(left - 6)}" y="{_n(ty + FONT * 0.35)}" text-anchor="end" '
                     f'fill="{MUTED_INK}">{_e(text)}</text>')
    parts.append('</g>')

    parts.append('<g class="pl-bars">')
    for index, (bar, value) in enumerate(zip(styled, values)):
        center = left + slot * (index + 0.5)
        end = y(value)
        top_y, bar_height = min(end, zero), abs(end - zero)
        color_of_bar = bar.color or color
        fill = fills[(bar.pattern or "solid", color_of_bar)]
        stroke = (f' stroke="{_e(color_of_bar)}" stroke-width="1.2"'
                  if bar.pattern and bar.pattern != "solid" else "")
        shape = (f'<rect x="{_n(center - bar_width / 2)}" y="{_n(top_y)}" '
                 f'width="{_n(bar_width)}" height="{_n(bar_height)}" fill="{fill}"{stroke}/>')
        if upright:
            if value < 0:
                anchor, at = "end", end + 4
            else:
                anchor, at = "start", end - 4
            text = (f'<text class="pl-bar-value" x="{_n(center + FONT * 0.35)}" y="{_n(at)}" '
                    f'transform="rotate(-90 {_n(center + FONT * 0.35)} {_n(at)})" '
                    f'text-anchor="{anchor}" fill="{INK}">{_e(bar.on_bar)}</text>')
        else:
            at = end + FONT + 3 if value < 0 else end - 5
            text = (f'<text class="pl-bar-value" x="{_n(center)}" y="{_n(at)}" '
                    f'text-anchor="middle" fill="{INK}">{_e(bar.on_bar)}</text>')
        classes = "pl-bar is-negative" if value < 0 else "pl-bar"
        parts.append(_bar_group(bar, classes, shape, text))
    parts.append('</g>')

    parts.append(f'<line class="pl-zero" x1="{_n(left)}" x2="{_n(width - right)}" '
                 f'y1="{_n(zero)}" y2="{_n(zero)}" stroke="{AXIS}" stroke-width="1.2"/>')
    parts.append('<g class="pl-axis-labels" aria-hidden="true">')
    label_y = plot_bottom + bottom_labels + FONT + 6
    for index, bar in enumerate(bars):
        center = left + slot * (index + 0.5)
        parts.append(f'<text x="{_n(center)}" y="{_n(label_y)}" text-anchor="middle" '
                     f'fill="{INK}">{_e(_truncate(bar.label, slot))}</text>')
        if bar.sublabel:
            parts.append(f'<text x="{_n(center)}" y="{_n(label_y + FONT + 3)}" '
                         f'text-anchor="middle" fill="{MUTED_INK}">'
                         f'{_e(_truncate(bar.sublabel, slot))}</text>')
    parts.append('</g></svg>')

    table = _data_table(ident, bars, title, label_header, value_header, total) if data_table else ""
    return _figure(ident, "vertical", title, subtitle, "".join(parts), table, toggle_label,
                   caption, width)


# Horizontal bars (customers, buckets) -----------------------------------------------------------

def horizontal_bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str,
                         label_header: str, value_header: str, description: str = "",
                         subtitle: Optional[str] = None,
                         total: Optional[tuple[str, str]] = None,
                         toggle_label: str = "Afficher les données",
                         color: str = BAR, width: float = 560, row_height: float = 30,
                         label_width: float = 170, caption: bool = True,
                         data_table: bool = True) -> Markup:
    """One row per bar: the name on the left (cut with « … » when too long, whole
    in the bar's <title>), the bar from the zero line, the value in a column on
    the right. Negative values go left of the zero line, hatched."""
    ident = _ident(chart_id)
    bars = list(bars)
    values = [float(bar.value) for bar in bars]
    styled = [bar if float(bar.value) >= 0 or bar.pattern else
              replace(bar, pattern="diagonal", color=bar.color or NEGATIVE)
              for bar in bars]
    names_width = min(max((_text_width(bar.label) for bar in bars), default=0), label_width)
    left = names_width + 12
    value_width = max((_text_width(bar.on_bar) for bar in bars), default=0) + 12
    right = value_width
    plot_width = max(width - left - right, 40)
    low, high = min(min(values, default=0), 0.0), max(max(values, default=0), 0.0)
    if high - low <= 0:
        high = 1.0
    height = row_height * max(len(bars), 1) + 8
    bar_height = min(row_height * 0.6, 20)

    def x(value: float) -> float:
        return left + (value - low) / (high - low) * plot_width

    zero = x(0.0)
    defs, fills = _pattern_defs(ident, styled, color)
    parts = [_svg_open(ident, width, height, title, description), defs, '<g class="pl-bars">']
    for index, (bar, value) in enumerate(zip(styled, values)):
        middle = 4 + row_height * (index + 0.5)
        end = x(value)
        start_x, length = min(end, zero), abs(end - zero)
        color_of_bar = bar.color or color
        fill = fills[(bar.pattern or "solid", color_of_bar)]
        stroke = (f' stroke="{_e(color_of_bar)}" stroke-width="1.2"'
                  if bar.pattern and bar.pattern != "solid" else "")
        name = (f'<text class="pl-bar-name" x="{_n(left - 8)}" y="{_n(middle + FONT * 0.35)}" '
                f'text-anchor="end" fill="{INK}">{_e(_truncate(bar.label, names_width))}</text>')
        shape = (name + f'<rect x="{_n(start_x)}" y="{_n(middle - bar_height / 2)}" '
                 f'width="{_n(length)}" height="{_n(bar_height)}" fill="{fill}"{stroke}/>')
        text = (f'<text class="pl-bar-value" x="{_n(width - 4)}" y="{_n(middle + FONT * 0.35)}" '
                f'text-anchor="end" fill="{INK}">{_e(bar.on_bar)}</text>')
        classes = "pl-bar is-negative" if value < 0 else "pl-bar"
        parts.append(_bar_group(bar, classes, shape, text))
    parts.append('</g>')
    parts.append(f'<line class="pl-zero" x1="{_n(zero)}" x2="{_n(zero)}" y1="2" '
                 f'y2="{_n(height - 2)}" stroke="{AXIS}" stroke-width="1.2"/></svg>')

    table = _data_table(ident, bars, title, label_header, value_header, total) if data_table else ""
    return _figure(ident, "horizontal", title, subtitle, "".join(parts), table, toggle_label,
                   caption, width)
