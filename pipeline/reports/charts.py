"""Small inline SVG charts for the HTML report: no plotting library, no JavaScript, prints well."""

from __future__ import annotations

from html import escape

_PALETTE = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2"]


def bar_chart(
    labels: list[str],
    values: list[float],
    *,
    width: int = 360,
    height: int = 180,
    value_format: str = "{:.0%}",
    color: str = _PALETTE[0],
) -> str:
    """A vertical bar chart with a value over each bar."""
    if not values:
        return "<p class='empty'>No data yet.</p>"
    top = max(max(values), 1e-9)
    pad, base = 24, height - 24
    slot = (width - 2 * pad) / len(values)
    parts = [f"<svg viewBox='0 0 {width} {height}' width='{width}' height='{height}' role='img'>"]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        bar_h = (base - pad) * value / top
        x = pad + i * slot + slot * 0.15
        parts.append(
            f"<rect x='{x:.1f}' y='{base - bar_h:.1f}' width='{slot * 0.7:.1f}' "
            f"height='{bar_h:.1f}' fill='{color}'>"
            f"<title>{escape(label)}: {escape(value_format.format(value))}</title></rect>"
            f"<text x='{x + slot * 0.35:.1f}' y='{base - bar_h - 4:.1f}' text-anchor='middle' font-size='11'>"
            f"{escape(value_format.format(value))}</text>"
            f"<text x='{x + slot * 0.35:.1f}' y='{height - 8}' text-anchor='middle' font-size='11'>"
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    x_labels: list[str],
    series: dict[str, list[float | None]],
    *,
    width: int = 640,
    height: int = 220,
    y_min: float = 0.0,
    y_max: float = 1.0,
    y_format: str = "{:.0%}",
) -> str:
    """A line chart of several series over shared x labels; gaps where a value is None."""
    if not x_labels or not series:
        return "<p class='empty'>No data yet.</p>"
    left, right, top, bottom = 44, 110, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(x_labels) - 1, 1)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - y_min) / ((y_max - y_min) or 1))

    parts = [f"<svg viewBox='0 0 {width} {height}' width='{width}' height='{height}' role='img'>"]
    for tick in (y_min, (y_min + y_max) / 2, y_max):
        parts.append(
            f"<line x1='{left}' x2='{left + plot_w}' y1='{y(tick):.1f}' y2='{y(tick):.1f}' stroke='#e5e7eb'/>"
            f"<text x='{left - 6}' y='{y(tick) + 4:.1f}' text-anchor='end' font-size='10'>"
            f"{escape(y_format.format(tick))}</text>"
        )
    every = max(1, len(x_labels) // 8)
    for i, label in enumerate(x_labels):
        if i % every == 0:
            parts.append(
                f"<text x='{left + i * step:.1f}' y='{height - 10}' text-anchor='middle' font-size='10'>"
                f"{escape(label)}</text>"
            )
    for n, (name, values) in enumerate(series.items()):
        color = _PALETTE[n % len(_PALETTE)]
        points = [(left + i * step, y(v)) for i, v in enumerate(values) if v is not None]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f"<polyline points='{path}' fill='none' stroke='{color}' stroke-width='2'/>")
        parts.extend(f"<circle cx='{px:.1f}' cy='{py:.1f}' r='2.5' fill='{color}'/>" for px, py in points)
        parts.append(
            f"<text x='{left + plot_w + 8}' y='{top + 14 * (n + 1)}' font-size='11' fill='{color}'>"
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
