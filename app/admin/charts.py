"""Server-side SVG charts for the admin pages: no script, no external asset, readable by a screen
reader (``role="img"``, a ``<title>`` and a ``<desc>`` summing the data up, labelled axes).

    bar_chart([3, 0, 5], labels=["high", "default", "low"], title="Queue depth",
              x_label="Queue", y_label="Jobs waiting")
    line_chart({"renders": [...168...], "failures": [...]}, title="Renders per hour",
               x_label="Hour (UTC)", y_label="Jobs", x_ticks=[(0, "Mon 13:00"), ...])

Both return the SVG as a string, every text escaped, ready to put in a page as is.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

# Colours that stay apart for the common colour-vision deficiencies (Okabe-Ito).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 16, 36, 48
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^n at or above ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        candidate = step * 10 ** exponent
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exponent + 1))


def _chart_id(title: str, data: Sequence) -> str:
    digest = hashlib.sha1(f"{title}|{data!r}".encode(), usedforsecurity=False).hexdigest()
    return "chart-" + digest[:10]


def _frame(chart_id: str, *, title: str, description: str, width: int, height: int,
           x_label: str, y_label: str, top: float, body: list[str]) -> str:
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM
    x0, y0 = MARGIN_LEFT, MARGIN_TOP + plot_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<text x="{x0}" y="20" {FONT} font-weight="bold" fill="#222">{escape(title)}</text>',
    ]
    for i in range(5):  # gridlines and y tick labels at 0, 1/4 .. top
        value = top * i / 4
        y = y0 - plot_h * i / 4
        parts.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + plot_w}" y2="{y:.1f}" '
                     f'stroke="#ddd" stroke-width="1"/>')
        parts.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" {FONT} text-anchor="end" '
                     f'fill="#444">{_number(value)}</text>')
    parts += body
    parts += [
        f'<line x1="{x0}" y1="{y0}" x2="{x0 + plot_w}" y2="{y0}" stroke="#444"/>',
        f'<line x1="{x0}" y1="{MARGIN_TOP}" x2="{x0}" y2="{y0}" stroke="#444"/>',
        f'<text x="{x0 + plot_w / 2:.1f}" y="{height - 8}" {FONT} text-anchor="middle" '
        f'fill="#222" class="x-label">{escape(x_label)}</text>',
        f'<text x="14" y="{MARGIN_TOP + plot_h / 2:.1f}" {FONT} text-anchor="middle" '
        f'fill="#222" class="y-label" transform="rotate(-90 14 {MARGIN_TOP + plot_h / 2:.1f})">'
        f'{escape(y_label)}</text>',
        "</svg>",
    ]
    return "".join(parts)


def bar_chart(values: Sequence[float], *, title: str, x_label: str, y_label: str,
              labels: Sequence[str] | None = None, width: int = 640, height: int = 240) -> str:
    """One bar per value (labelled below when ``labels`` are given; each bar has a tooltip)."""
    labels = list(labels) if labels is not None else [str(i) for i in range(len(values))]
    if len(labels) != len(values):
        raise ValueError("one label per value")
    top = nice_max(max(values, default=0))
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / max(len(values), 1)
    body = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        bar_h = plot_h * value / top
        x = MARGIN_LEFT + i * slot + slot * 0.15
        y = MARGIN_TOP + plot_h - bar_h
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_h:.1f}" '
                    f'fill="{PALETTE[0]}"><title>{escape(f"{label}: {_number(value)}")}</title>'
                    "</rect>")
        if len(values) <= 24:
            body.append(f'<text x="{x + slot * 0.35:.1f}" y="{MARGIN_TOP + plot_h + 16}" {FONT} '
                        f'text-anchor="middle" fill="#444">{escape(label)}</text>')
    description = f"{title}. " + "; ".join(f"{label}: {_number(value)}"
                                           for label, value in zip(labels, values, strict=True))
    return _frame(_chart_id(title, list(values)), title=title, description=description,
                  width=width, height=height, x_label=x_label, y_label=y_label, top=top, body=body)


def line_chart(series: Mapping[str, Sequence[float]], *, title: str, x_label: str,
               y_label: str, x_ticks: Sequence[tuple[int, str]] = (), width: int = 720,
               height: int = 260) -> str:
    """One line per named series over the same x positions, with a legend; ``x_ticks`` are
    (index, label) pairs written under the x axis."""
    lengths = {len(values) for values in series.values()}
    if len(lengths) > 1:
        raise ValueError("every series needs the same length")
    count = lengths.pop() if lengths else 0
    top = nice_max(max((max(v, default=0) for v in series.values()), default=0))
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM
    step = plot_w / max(count - 1, 1)
    body = []
    for n, (name, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{MARGIN_LEFT + i * step:.1f},{MARGIN_TOP + plot_h - plot_h * v / top:.1f}"
                          for i, v in enumerate(values))
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
                    f'points="{points}"><title>{escape(name)}</title></polyline>')
        legend_x = width - MARGIN_RIGHT - 140 * (len(series) - n)
        body.append(f'<rect x="{legend_x}" y="10" width="12" height="12" fill="{colour}"/>'
                    f'<text x="{legend_x + 16}" y="20" {FONT} fill="#222">{escape(name)}</text>')
    for index, label in x_ticks:
        x = MARGIN_LEFT + index * step
        body.append(f'<line x1="{x:.1f}" y1="{MARGIN_TOP + plot_h}" x2="{x:.1f}" '
                    f'y2="{MARGIN_TOP + plot_h + 4}" stroke="#444"/>'
                    f'<text x="{x:.1f}" y="{MARGIN_TOP + plot_h + 16}" {FONT} '
                    f'text-anchor="middle" fill="#444">{escape(label)}</text>')
    description = f"{title}, {count} points. " + "; ".join(
        f"{name}: total {_number(sum(values))}, highest {_number(max(values, default=0))}"
        for name, values in series.items())
    return _frame(_chart_id(title, [list(v) for v in series.values()]), title=title,
                  description=description, width=width, height=height, x_label=x_label,
                  y_label=y_label, top=top, body=body)


def daily_ticks(start: datetime, hours: int) -> list[tuple[int, str]]:
    """(index, "Mon 00:00") for each midnight UTC among ``hours`` hourly buckets from ``start``."""
    ticks = []
    for index in range(hours):
        moment = start + timedelta(hours=index)
        if moment.hour == 0:
            ticks.append((index, moment.strftime("%a %d")))
    return ticks
