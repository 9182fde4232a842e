"""A layered drawing of a lineage graph: origins on the left, each step one column, nodes
in a column ordered to keep edges short (barycentres, a few sweeps each way)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sluice.core.lineage import LineageGraph

COL_W, ROW_H, BOX_W, BOX_H, PAD = 230, 64, 180, 44, 20
SWEEPS = 4


@dataclass
class Placed:
    id: str
    x: float
    y: float


def layout(graph: LineageGraph) -> dict[str, Any]:
    """Node boxes and edge paths (SVG coordinates) plus the drawing's size."""
    columns = _columns(graph)
    _order(columns, _neighbours(graph))
    tallest = max((len(c) for c in columns), default=1)
    placed: dict[str, Placed] = {}
    for col, ids in enumerate(columns):
        offset = (tallest - len(ids)) * ROW_H / 2
        for row, node in enumerate(ids):
            placed[node] = Placed(node, PAD + col * COL_W, PAD + offset + row * ROW_H)
    nodes = [{"id": n.id, "x": placed[n.id].x, "y": placed[n.id].y, "kind": n.kind.value,
              "label": n.label, "href": n.href, "root": n.id == graph.root}
             for n in graph.nodes if n.id in placed]
    edges = [_path(placed[e.source], placed[e.target], e.relation.value)
             for e in graph.edges if e.source in placed and e.target in placed]
    return {"width": PAD * 2 + max(len(columns) - 1, 0) * COL_W + BOX_W,
            "height": PAD * 2 + tallest * ROW_H, "box_w": BOX_W, "box_h": BOX_H,
            "nodes": nodes, "edges": edges}


def _columns(graph: LineageGraph) -> list[list[str]]:
    depths = sorted({n.depth for n in graph.nodes})
    index = {d: i for i, d in enumerate(depths)}
    columns: list[list[str]] = [[] for _ in depths]
    for node in sorted(graph.nodes, key=lambda n: (n.kind.value, n.label)):
        columns[index[node.depth]].append(node.id)
    return columns


def _neighbours(graph: LineageGraph) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for edge in graph.edges:
        if edge.source in found and edge.target in found:
            found[edge.source].append(edge.target)
            found[edge.target].append(edge.source)
    return found


def _order(columns: list[list[str]], neighbours: dict[str, list[str]]) -> None:
    """Reorder each column by the mean position of its neighbours in the column before it
    (then after it), which untangles most crossings."""
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        sequence = range(1, len(columns)) if forward else range(len(columns) - 2, -1, -1)
        for col in sequence:
            ref = columns[col - 1] if forward else columns[col + 1]
            where = {node: i for i, node in enumerate(ref)}
            now = {node: i for i, node in enumerate(columns[col])}
            columns[col].sort(key=lambda n: _barycentre(n, neighbours, where, now[n]))


def _barycentre(node: str, neighbours: dict[str, list[str]], where: dict[str, int],
                current: int) -> float:
    spots = [where[n] for n in neighbours.get(node, []) if n in where]
    return sum(spots) / len(spots) if spots else float(current)


def _path(a: Placed, b: Placed, relation: str) -> dict[str, Any]:
    left, right = (a, b) if a.x <= b.x else (b, a)
    x1, y1 = left.x + BOX_W, left.y + BOX_H / 2
    x2, y2 = right.x, right.y + BOX_H / 2
    if left.x == right.x:  # same column: a loop out to the right
        x2 = right.x + BOX_W
        bend = x1 + 40
        d = f"M{x1:.0f},{y1:.0f} C{bend:.0f},{y1:.0f} {bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
    else:
        mid = (x1 + x2) / 2
        d = f"M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
    return {"d": d, "relation": relation, "label_x": (x1 + x2) / 2, "label_y": (y1 + y2) / 2}
