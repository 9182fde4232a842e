"""Small server-rendered charts: the quality report as bar geometry for SVG templates."""

from __future__ import annotations

import math
from typing import Any

WIDTH = 240


def bars(items: list[tuple[str, float]], *, width: int = WIDTH) -> list[dict[str, Any]]:
    """Horizontal bars scaled to the largest value."""
    top = max((v for _, v in items), default=0) or 1
    return [{"label": label, "value": value, "width": round(width * value / top, 1)}
            for label, value in items]


def histogram(counts: list[int], edges: list[float] | None = None, *, width: int = WIDTH,
              height: int = 40) -> list[dict[str, Any]]:
    """Vertical bars of a histogram, as x/y/width/height rectangles, each with its value
    range (``edges``: the bin bounds, one more than the counts) for labels and hovers."""
    top = max(counts, default=0) or 1
    step = width / max(1, len(counts))
    bounds = edges if edges and len(edges) == len(counts) + 1 else \
        [float(i) for i in range(len(counts) + 1)]
    names = tick_labels(bounds) if len(bounds) > 1 else ["0"]
    return [{"x": round(i * step, 1), "w": round(step - 1, 1),
             "h": round(height * c / top, 1), "y": round(height - height * c / top, 1),
             "count": c, "low": names[i], "high": names[i + 1],
             "range": f"{names[i]} to {names[i + 1]}"} for i, c in enumerate(counts)]


def quality_charts(report: dict[str, Any]) -> dict[str, Any]:
    """Chart data for a quality report: nulls per column, PII by type, histograms."""
    columns = report.get("columns", [])
    pii = report.get("pii", {}).get("by_type", {})
    return {
        "nulls": bars([(c["name"], float(c.get("null_fraction") or 0)) for c in columns]),
        "distinct": bars([(c["name"], float(c.get("distinct") or 0)) for c in columns
                          if c.get("distinct") is not None]),
        "pii": bars(sorted(((k, float(v)) for k, v in pii.items()), key=lambda kv: -kv[1])),
        "histograms": {c["name"]: histogram(c["histogram"]["counts"],
                                            c["histogram"].get("edges"))
                       for c in columns if c.get("histogram")},
    }


PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4d7c0f",
           "#be185d")


HOVER_POINTS = 60


def line_chart(series: dict[str, list[tuple[float, float]]], *, width: int = 460,
               height: int = 190, x_title: str = "step", y_title: str = "") -> dict[str, Any]:
    """Overlaid polylines (one per series) on round ticks with readable labels and axis
    titles, for an SVG template.

    Long series are thinned to at most 400 points per line, keeping the first and last;
    up to HOVER_POINTS of them per line carry their value for a pointer to show.
    """
    points = [p for values in series.values() for p in values]
    if not points:
        return {"width": width, "height": height, "lines": [], "xticks": [], "yticks": [],
                "x_title": x_title, "y_title": y_title}
    xticks = nice_ticks(min(p[0] for p in points), max(p[0] for p in points))
    yticks = nice_ticks(min(p[1] for p in points), max(p[1] for p in points))
    ylabels = tick_labels(yticks)
    left = 22 + 7 * max(len(t) for t in ylabels)  # room for the longest label and the title
    bottom, top, right = height - 34, 8, width - 10
    x0, x1, y0, y1 = xticks[0], xticks[-1], yticks[0], yticks[-1]

    def sx(x: float) -> float:
        return round(left + (right - left) * (x - x0) / (x1 - x0), 1)

    def sy(y: float) -> float:
        return round(bottom - (bottom - top) * (y - y0) / (y1 - y0), 1)

    lines = []
    for i, (name, values) in enumerate(series.items()):
        thin = _thin(values, 400)
        lines.append({"name": name, "color": PALETTE[i % len(PALETTE)],
                      "points": " ".join(f"{sx(x)},{sy(y)}" for x, y in thin),
                      "last": {"x": sx(thin[-1][0]), "y": sy(thin[-1][1]),
                               "value": thin[-1][1], "step": thin[-1][0]} if thin else None,
                      "marks": [{"x": sx(x), "y": sy(y), "value": y, "step": x}
                                for x, y in _thin(values, HOVER_POINTS)]})
    return {"width": width, "height": height, "lines": lines,
            "xticks": [{"x": sx(x), "label": lbl}
                       for x, lbl in zip(xticks, tick_labels(xticks), strict=True)],
            "yticks": [{"y": sy(y), "label": lbl} for y, lbl in zip(yticks, ylabels, strict=True)],
            "left": left, "right": right, "bottom": bottom, "top": top,
            "x_title": x_title, "y_title": y_title}


def nice_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) that cover lo..hi."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        lo, hi = lo - (abs(lo) or 1) / 2, hi + (abs(hi) or 1) / 2
    raw = (hi - lo) / (most - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(lo / step + 1e-9) * step
    count = math.ceil((hi - start) / step - 1e-9) + 1
    return [round(start + i * step, 12) for i in range(max(count, 2))]


def tick_labels(ticks: list[float]) -> list[str]:
    """Labels as short as the ticks' spacing allows: 0.25, 1.5k, 2e-05."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    size = max(abs(t) for t in ticks)
    return [_short(t, step, size) for t in ticks]


def _short(value: float, step: float, size: float) -> str:
    if value == 0:
        return "0"
    if size >= 1e9:
        return f"{value:.2g}"
    if size >= 1e4:
        return f"{value / 1e6:g}M" if size >= 1e6 else f"{value / 1e3:g}k"
    if step < 1e-3:
        return f"{value:.1e}".replace("e-0", "e-")
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    if step < 1 and round(step * 10 ** decimals) % 10 not in (0, 1, 2, 5):
        decimals += 1
    return f"{value:.{decimals}f}"


def _thin(values: list[tuple[float, float]], most: int) -> list[tuple[float, float]]:
    if len(values) <= most:
        return values
    step = len(values) / (most - 1)
    picked = [values[int(i * step)] for i in range(most - 1)]
    return [*picked, values[-1]]
