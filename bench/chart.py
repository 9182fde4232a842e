"""A small dependency-free SVG chart: recall@10 against batch queries/s, one curve per engine.

    recall_qps_svg({"sluice": [(0.91, 12000.0), (0.97, 8000.0)], ...}, "out.svg")

Every measured point is drawn as a marker; the line joins each engine's best trade-offs
(the points no other point of that engine beats on both recall and q/s), so it reads as
"the most q/s this engine gave at this recall or better". Queries/s is on a log scale.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

Point = tuple[float, float]  # (recall@10, queries/s)

WIDTH, HEIGHT = 760, 460
LEFT, RIGHT, TOP, BOTTOM = 84, 190, 24, 58  # margins: room for tick labels and the legend
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
MARKERS = ("circle", "square", "diamond", "triangle")
FONT = 'font-family="sans-serif" font-size="12"'


def frontier(points: list[Point]) -> list[Point]:
    """Points no other point beats on both recall and q/s, by rising recall."""
    best: list[Point] = []
    for r, q in sorted(points, key=lambda p: (-p[0], -p[1])):
        if not best or q > best[-1][1]:
            best.append((r, q))
    return sorted(best)


def _x_range(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    lo = math.floor(min(lo, hi - 0.05) * 20) / 20  # steps of 0.05
    return max(lo, 0.0), min(max(math.ceil(hi * 20) / 20, lo + 0.05), 1.0)


def _nice(value: float, up: bool) -> float:
    """The nearest 1, 2 or 5 x 10^n at or beyond ``value``, as log10."""
    exp = math.floor(math.log10(value))
    steps = [m * 10.0 ** e for e in (exp - 1, exp, exp + 1) for m in (1, 2, 5)]
    pick = min(v for v in steps if v >= value) if up else max(v for v in steps if v <= value)
    return math.log10(pick)


def _y_range(values: list[float]) -> tuple[float, float]:
    lo, hi = _nice(max(min(values), 1e-3), up=False), _nice(max(*values, 1e-3), up=True)
    return lo, max(hi, lo + math.log10(2))


def _x_ticks(lo: float, hi: float) -> list[float]:
    step = 0.05 if hi - lo <= 0.5 else 0.1
    n = round((hi - lo) / step)
    return [round(lo + i * step, 2) for i in range(n + 1)]


def _y_ticks(lo: float, hi: float) -> list[float]:
    ticks = []
    for exp in range(math.floor(lo), math.ceil(hi) + 1):
        for m in (1, 2, 5) if hi - lo <= 3 else (1,):
            value = m * 10.0 ** exp
            if lo - 1e-9 <= math.log10(value) <= hi + 1e-9:
                ticks.append(value)
    return ticks


def _label(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


class _Frame:
    """Maps data to pixels inside the plot area."""

    def __init__(self, xr: tuple[float, float], yr: tuple[float, float]) -> None:
        self.xr, self.yr = xr, yr
        self.w, self.h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(self, value: float) -> float:
        return LEFT + (value - self.xr[0]) / (self.xr[1] - self.xr[0]) * self.w

    def y(self, value: float) -> float:
        v = math.log10(max(value, 1e-3))
        return TOP + self.h - (v - self.yr[0]) / (self.yr[1] - self.yr[0]) * self.h


def _grid(x1: float, y1: float, x2: float, y2: float, at: tuple[float, float, str],
          label: str) -> list[str]:
    """One grid line and its tick label (``at``: x, y and anchor of the label)."""
    return [f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#ddd"/>',
            f'<text x="{at[0]:.1f}" y="{at[1]:.1f}" text-anchor="{at[2]}" {FONT}>{label}</text>']


def _axes(frame: _Frame) -> list[str]:
    out = [f'<rect x="{LEFT}" y="{TOP}" width="{frame.w}" height="{frame.h}" fill="none" '
           'stroke="#444"/>']
    bottom = TOP + frame.h
    for t in _x_ticks(*frame.xr):
        px = frame.x(t)
        out += _grid(px, TOP, px, bottom, (px, bottom + 16, "middle"), f"{t:.2f}")
    for t in _y_ticks(*frame.yr):
        py = frame.y(t)
        out += _grid(LEFT, py, LEFT + frame.w, py, (LEFT - 6, py + 4, "end"), _label(t))
    mid_x, mid_y = LEFT + frame.w / 2, TOP + frame.h / 2
    out.append(f'<text x="{mid_x:.1f}" y="{HEIGHT - 14}" text-anchor="middle" {FONT}>'
               'recall@10</text>')
    out.append(f'<text x="18" y="{mid_y:.1f}" text-anchor="middle" {FONT} '
               f'transform="rotate(-90 18 {mid_y:.1f})">batch queries/s (log scale)</text>')
    return out


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    r = 4.0
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}"/>'
    if kind == "square":
        return (f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" '
                f'fill="{colour}"/>')
    if kind == "diamond":
        pts = [(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)]
    else:
        pts = [(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)]
    coords = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
    return f'<polygon points="{coords}" fill="{colour}"/>'


def _curve(frame: _Frame, points: list[Point], colour: str, marker: str) -> list[str]:
    out = []
    line = frontier(points)
    if len(line) > 1:
        coords = " ".join(f"{frame.x(r):.1f},{frame.y(q):.1f}" for r, q in line)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                   'stroke-width="2"/>')
    out.extend(_marker(marker, frame.x(r), frame.y(q), colour) for r, q in points)
    return out


def _legend(names: list[str]) -> list[str]:
    out = []
    x0 = WIDTH - RIGHT + 16
    for i, name in enumerate(names):
        y = TOP + 12 + i * 20
        colour, marker = COLOURS[i % len(COLOURS)], MARKERS[i % len(MARKERS)]
        out.append(f'<line x1="{x0}" y1="{y}" x2="{x0 + 22}" y2="{y}" stroke="{colour}" '
                   'stroke-width="2"/>')
        out.append(_marker(marker, x0 + 11, y, colour))
        out.append(f'<text x="{x0 + 30}" y="{y + 4}" {FONT}>{escape(name)}</text>')
    return out


def _target(frame: _Frame, recall: float) -> list[str]:
    if not frame.xr[0] <= recall <= frame.xr[1]:
        return []
    px = frame.x(recall)
    return [f'<line x1="{px:.1f}" y1="{TOP}" x2="{px:.1f}" y2="{TOP + frame.h}" '
            'stroke="#888" stroke-dasharray="5,4"/>',
            f'<text x="{px + 4:.1f}" y="{TOP + 14}" {FONT} fill="#555">'
            f'recall {recall:g}</text>']


def recall_qps_svg(curves: dict[str, list[Point]], path: str | Path, *,
                   target_recall: float | None = None) -> None:
    """Write an SVG of recall@10 (x) against batch queries/s (y, log) for each engine;
    ``target_recall`` adds a dashed vertical line there."""
    curves = {name: pts for name, pts in curves.items() if pts}
    if not curves:
        raise ValueError("no points to draw")
    every = [p for pts in curves.values() for p in pts]
    frame = _Frame(_x_range([r for r, _ in every]), _y_range([q for _, q in every]))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>', *_axes(frame)]
    if target_recall is not None:
        parts.extend(_target(frame, target_recall))
    for i, pts in enumerate(curves.values()):
        parts.extend(_curve(frame, pts, COLOURS[i % len(COLOURS)], MARKERS[i % len(MARKERS)]))
    parts.extend(_legend(list(curves)))
    parts.append("</svg>")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(parts) + "\n", encoding="utf-8")
