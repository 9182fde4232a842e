"""Small server-rendered charts: the quality report as bar geometry for SVG templates."""

from __future__ import annotations

from typing import Any

WIDTH = 240


def bars(items: list[tuple[str, float]], *, width: int = WIDTH) -> list[dict[str, Any]]:
    """Horizontal bars scaled to the largest value."""
    top = max((v for _, v in items), default=0) or 1
    return [{"label": label, "value": value, "width": round(width * value / top, 1)}
            for label, value in items]


def histogram(counts: list[int], *, width: int = WIDTH, height: int = 40) -> list[dict]:  # type: ignore[type-arg]
    """Vertical bars of a histogram, as x/y/width/height rectangles."""
    top = max(counts, default=0) or 1
    step = width / max(1, len(counts))
    return [{"x": round(i * step, 1), "w": round(step - 1, 1),
             "h": round(height * c / top, 1), "y": round(height - height * c / top, 1),
             "count": c} for i, c in enumerate(counts)]


def quality_charts(report: dict[str, Any]) -> dict[str, Any]:
    """Chart data for a quality report: nulls per column, PII by type, histograms."""
    columns = report.get("columns", [])
    pii = report.get("pii", {}).get("by_type", {})
    return {
        "nulls": bars([(c["name"], float(c.get("null_fraction") or 0)) for c in columns]),
        "distinct": bars([(c["name"], float(c.get("distinct") or 0)) for c in columns
                          if c.get("distinct") is not None]),
        "pii": bars(sorted(((k, float(v)) for k, v in pii.items()), key=lambda kv: -kv[1])),
        "histograms": {c["name"]: histogram(c["histogram"]["counts"]) for c in columns
                       if c.get("histogram")},
    }


PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4d7c0f",
           "#be185d")


def line_chart(series: dict[str, list[tuple[float, float]]], *, width: int = 460,
               height: int = 180, pad: int = 36) -> dict[str, Any]:
    """Overlaid polylines (one per series) with axis ticks, for an SVG template.

    Long series are thinned to at most 400 points per line, keeping the first and last.
    """
    points = [p for values in series.values() for p in values]
    if not points:
        return {"width": width, "height": height, "lines": [], "xticks": [], "yticks": []}
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 1

    def sx(x: float) -> float:
        return round(pad + (width - pad - 8) * (x - x0) / (x1 - x0), 1)

    def sy(y: float) -> float:
        return round(height - pad / 2 - (height - pad) * (y - y0) / (y1 - y0), 1)

    lines = []
    for i, (name, values) in enumerate(series.items()):
        thin = _thin(values, 400)
        lines.append({"name": name, "color": PALETTE[i % len(PALETTE)],
                      "points": " ".join(f"{sx(x)},{sy(y)}" for x, y in thin),
                      "last": {"x": sx(thin[-1][0]), "y": sy(thin[-1][1]),
                               "value": thin[-1][1], "step": thin[-1][0]} if thin else None})
    xs_at = [x0 + (x1 - x0) * t / 4 for t in range(5)]
    ys_at = [y0 + (y1 - y0) * t / 4 for t in range(5)]
    return {"width": width, "height": height, "lines": lines,
            "xticks": [{"x": sx(x), "label": f"{x:.4g}"} for x in xs_at],
            "yticks": [{"y": sy(y), "label": f"{y:.4g}"} for y in ys_at],
            "left": pad, "bottom": height - pad / 2}


def _thin(values: list[tuple[float, float]], most: int) -> list[tuple[float, float]]:
    if len(values) <= most:
        return values
    step = len(values) / (most - 1)
    picked = [values[int(i * step)] for i in range(most - 1)]
    return [*picked, values[-1]]
