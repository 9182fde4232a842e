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
