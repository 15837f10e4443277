"""Small SVG charts drawn on the server, so the console needs no charting library. Pure."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 60, 16, 34, 40
COLOURS = ("#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2")


def _frame(title: str, body: list[str], legend: Sequence[str] = ()) -> str:
    items = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}" '
        'font-family="system-ui, sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="20" font-size="14" font-weight="600" fill="#111827">'
        f"{escape(title)}</text>",
    ]
    for i, name in enumerate(legend):
        x = WIDTH - RIGHT - 120 * (len(legend) - i)
        items.append(f'<rect x="{x}" y="10" width="10" height="10" fill="{COLOURS[i % 6]}"/>')
        items.append(f'<text x="{x + 14}" y="19" fill="#374151">{escape(name)}</text>')
    return "\n".join([*items, *body, "</svg>"])


def axis_label(value: float, maximum: float, unit: str) -> str:
    """Short tick labels: milliseconds of a second or more read as seconds."""
    if unit.strip() == "ms" and maximum >= 1000:
        return f"{value / 1000:.1f} s"
    if maximum >= 4:
        return f"{value:.0f}{unit}" if value == int(value) else f"{value:g}{unit}"
    return f"{value:.2g}{unit}"


def nice_scale(top: float, ticks: int = 4) -> tuple[float, float]:
    """The axis maximum and tick step for data up to `top`: the step is 1, 2, 2.5 or 5 times
    a power of ten, so every tick is a round value with a grid line of its own."""
    if top <= 0:
        return 1.0, 0.25
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return step * math.ceil(top / step - 1e-9), step


def _axis(maximum: float, unit: str, step: float) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    lines = []
    for n in range(round(maximum / step) + 1):
        value = step * n
        y = HEIGHT - BOTTOM - plot_h * value / maximum
        label = axis_label(value, maximum, unit)
        lines.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
        )
        lines.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#6b7280">'
            f"{escape(label)}</text>"
        )
    return lines


def bar_chart(
    title: str, values: Mapping[str, float | None], unit: str = "", missing: str = "no data yet"
) -> str:
    """One bar per label (None: no bar, `missing` said instead); an empty mapping draws an
    empty chart that says so."""
    if not values:
        return _frame(
            title,
            [
                f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" '
                'fill="#6b7280">No data yet</text>'
            ],
        )
    maximum, step = nice_scale(max((v for v in values.values() if v is not None), default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(values)
    body = _axis(maximum, unit, step)
    for i, (label, value) in enumerate(values.items()):
        x = LEFT + slot * i + slot * 0.15
        if value is None:
            body.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM - 8}" '
                f'text-anchor="middle" fill="#6b7280" font-style="italic">{escape(missing)}</text>'
            )
        else:
            h = plot_h * value / maximum
            body.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{slot * 0.7:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[i % 6]}"><title>{escape(label)}: '
                f"{value:g}{escape(unit)}</title></rect>"
            )
        body.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 14}" '
            f'text-anchor="middle" fill="#374151">{escape(label[:18])}</text>'
        )
    return _frame(title, body)


def line_chart(
    title: str, labels: Sequence[str], series: Mapping[str, Sequence[float]], unit: str = ""
) -> str:
    """One line per series over shared x labels (time buckets)."""
    maximum, tick = nice_scale(max((v for values in series.values() for v in values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels) - 1, 1)
    body = _axis(maximum, unit, tick)
    every = max(1, len(labels) // 6)
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:  # the last: now
            body.append(
                f'<text x="{LEFT + step * i:.1f}" y="{HEIGHT - BOTTOM + 14}" '
                f'text-anchor="middle" fill="#6b7280">{escape(label)}</text>'
            )
    for n, (name, values) in enumerate(series.items()):
        points = " ".join(
            f"{LEFT + step * i:.1f},{HEIGHT - BOTTOM - plot_h * v / maximum:.1f}"
            for i, v in enumerate(values)
        )
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{COLOURS[n % 6]}" '
            f'stroke-width="2"><title>{escape(name)}</title></polyline>'
        )
    return _frame(title, body, legend=list(series))
