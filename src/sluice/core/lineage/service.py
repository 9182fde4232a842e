"""Walking the lineage graph from one thing: where it came from, what came of it."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import quote

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sluice.core.context import Ctx
from sluice.core.events.log import EventLog
from sluice.core.lineage.models import (
    Direction,
    LineageEdge,
    LineageGraph,
    LineageNode,
    NodeKind,
    Relation,
)
from sluice.core.lineage.projection import (
    alias_id,
    dataset_id,
    file_id,
    model_version_id,
    run_id,
)
from sluice.errors import InvalidInput, NotFound
from sluice.storage.metadata.database import Database
from sluice.storage.metadata.schema import LineageEdgeRow, LineageNodeRow

MAX_DEPTH = 50
MAX_NODES = 2000
_NAME = r"[A-Za-z0-9_.-]+"
_MODEL_REF = re.compile(rf"^(?:models?:/?)?({_NAME})(?:@({_NAME})|/v?(\d+))$")
_DATASET_REF = re.compile(rf"^(?:dataset:)?({_NAME})@v?(\d+)$")
REF_HELP = ("name@N (a dataset or view version), model:NAME@ALIAS or model:NAME/N, "
            "run:RUN_ID or file:SHA256")


class LineageService:
    def __init__(self, db: Database, events: EventLog) -> None:
        """The graph is kept by the ``lineage`` subscriber (``projection.Projection``),
        which the composition root registers."""
        self.db, self.events = db, events

    def graph(self, ctx: Ctx, ref: str, *, direction: Direction | str = Direction.UPSTREAM,
              depth: int = 20, limit: int = 500) -> LineageGraph:
        """The things ``ref`` came from (upstream), came to (downstream) or both, up to
        ``depth`` steps and ``limit`` nodes. Raises NotFound (``lineage_not_found``) and
        InvalidInput (``invalid_lineage_ref``, ``invalid_direction``)."""
        way = _direction(direction)
        if not 1 <= depth <= MAX_DEPTH or not 1 <= limit <= MAX_NODES:
            raise InvalidInput(f"depth must be 1..{MAX_DEPTH} and limit 1..{MAX_NODES}",
                               code="invalid_lineage_limits")
        self.events.dispatch(budget=10.0)  # be current: deliver what the projection lacks
        with self.db.reader() as s:
            root = s.get(LineageNodeRow, resolve(ctx, ref))
            if root is None or root.project_id != ctx.project_id:
                raise NotFound(f"no lineage recorded for {ref!r}", code="lineage_not_found")
            return _walk(s, root, way, depth, limit)


def resolve(ctx: Ctx, ref: str) -> str:
    """The node id ``ref`` names in the caller's project."""
    text = ref.strip()
    project = ctx.project_id
    if text.startswith("run:"):
        return run_id(text[4:])
    if text.startswith("file:"):
        return file_id(project, text[5:])
    found = _DATASET_REF.match(text)
    if found and not text.startswith(("model:", "models:")):
        return dataset_id(project, f"{found.group(1)}@{found.group(2)}")
    found = _MODEL_REF.match(text)
    if found and (found.group(2) or text.startswith(("model:", "models:"))):
        name, alias, number = found.groups()
        if alias:
            return alias_id(project, name, alias)
        return model_version_id(project, name, int(number))
    raise InvalidInput(f"{ref!r} is not a lineage reference; use {REF_HELP}",
                       code="invalid_lineage_ref")


def _direction(value: Direction | str) -> Direction:
    try:
        return Direction(value)
    except ValueError:
        raise InvalidInput("direction is upstream, downstream or both",
                           code="invalid_direction") from None


def _walk(s: Session, root: LineageNodeRow, way: Direction, depth: int,
          limit: int) -> LineageGraph:
    depths = {root.id: 0}
    edges: dict[tuple[str, str, str], LineageEdge] = {}
    truncated = False
    for sign, up in ((-1, True), (1, False)):
        if way == Direction.BOTH or (way == Direction.UPSTREAM) == up:
            truncated |= _bfs(s, root.id, up, sign, depth, limit, depths, edges)
    rows = {r.id: r for r in s.scalars(select(LineageNodeRow)
                                       .where(LineageNodeRow.id.in_(list(depths))))}
    nodes = [_node(rows[i], d) for i, d in depths.items() if i in rows]
    return LineageGraph(root=root.id, direction=way, nodes=nodes,
                        edges=[e for e in edges.values()
                               if e.source in rows and e.target in rows],
                        truncated=truncated)


def _bfs(s: Session, start: str, up: bool, sign: int, depth: int, limit: int,
         depths: dict[str, int], edges: dict[tuple[str, str, str], LineageEdge]) -> bool:
    queue = deque([(start, 0)])
    while queue:
        node, steps = queue.popleft()
        for edge in _neighbours(s, node):
            forward = edge.source == node
            if forward != (up == Relation(edge.relation).upstream_is_target):
                continue
            other = edge.target if forward else edge.source
            edges[(edge.source, edge.target, edge.relation)] = LineageEdge(
                source=edge.source, target=edge.target, relation=Relation(edge.relation))
            if other in depths:
                continue
            if steps + 1 > depth or len(depths) >= limit:
                return True
            depths[other] = sign * (steps + 1)
            queue.append((other, steps + 1))
    return False


def _neighbours(s: Session, node: str) -> list[LineageEdgeRow]:
    return list(s.scalars(select(LineageEdgeRow).where(
        or_(LineageEdgeRow.source == node, LineageEdgeRow.target == node))))


def _node(row: LineageNodeRow, depth: int) -> LineageNode:
    kind = NodeKind(row.kind)
    return LineageNode(id=row.id, kind=kind, label=row.label, attrs=row.attrs or {},
                       href=href(kind, row.attrs or {}, row.id), depth=depth)


def _q(value: object) -> str:
    return quote(str(value), safe="")


def href(kind: NodeKind, attrs: dict[str, object], node_id: str) -> str | None:
    """This server's page for a node (files and outside sources have none)."""
    if kind in (NodeKind.DATASET, NodeKind.VIEW) and "@" in node_id:
        name, version = node_id.split(":", 2)[2].rsplit("@", 1)
        return f"/datasets/{_q(name)}?version={_q(version)}"
    if kind == NodeKind.LABELS:
        return f"/label/{_q(attrs.get('dataset'))}/{_q(attrs.get('schema'))}"
    if kind == NodeKind.RUN:
        return f"/runs/{_q(node_id[2:])}"
    if kind == NodeKind.MODEL_VERSION:
        return f"/models/{_q(attrs.get('model'))}/card?version={_q(attrs.get('version'))}"
    if kind == NodeKind.ALIAS:
        return f"/models/{_q(attrs.get('model'))}"
    return None
