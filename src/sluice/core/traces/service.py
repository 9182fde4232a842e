"""Traces: timed spans of asks (and later of pipelines), stored in the metadata database."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from sluice.core.context import Ctx
from sluice.core.rag.models import Span, TraceInfo
from sluice.errors import InvalidInput, NotFound
from sluice.ids import new_id, utcnow
from sluice.storage.metadata.schema import TraceRow

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sluice.storage.metadata.database import Database

MAX_TRACES = 1000


class Tracer:
    """Collects the spans of one traced call."""

    def __init__(self, kind: str, name: str) -> None:
        self.id = new_id()
        self.kind = kind
        self.name = name
        self.started_at = utcnow()
        self._t0 = time.perf_counter()
        self.spans: list[Span] = []

    @contextmanager
    def span(self, name: str, **attributes: Any) -> Iterator[dict[str, Any]]:
        start = time.perf_counter()
        attrs = dict(attributes)
        try:
            yield attrs
        finally:
            self.spans.append(Span(name=name, start_ms=(start - self._t0) * 1000,
                                   duration_ms=(time.perf_counter() - start) * 1000,
                                   attributes=attrs))

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self._t0) * 1000


class TraceStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, ctx: Ctx, tracer: Tracer, *, status: str, inputs: dict[str, Any],
             outputs: dict[str, Any]) -> None:
        with self.db.session() as s:
            s.add(TraceRow(
                id=tracer.id, project_id=ctx.project_id, kind=tracer.kind,
                name=tracer.name[:256], status=status, started_at=tracer.started_at,
                duration_ms=tracer.elapsed_ms(), actor=ctx.actor.name, inputs=inputs,
                outputs=outputs, spans={"spans": [sp.model_dump() for sp in tracer.spans]}))

    def list(self, ctx: Ctx, *, kind: str | None = None, limit: int = 50) -> list[TraceInfo]:
        if not 1 <= limit <= MAX_TRACES:
            raise InvalidInput(f"limit must be 1..{MAX_TRACES}", code="invalid_limit")
        q = select(TraceRow).where(TraceRow.project_id == ctx.project_id)
        if kind:
            q = q.where(TraceRow.kind == kind)
        with self.db.reader() as s:
            rows = s.scalars(q.order_by(TraceRow.started_at.desc()).limit(limit)).all()
            return [_info(r) for r in rows]

    def get(self, ctx: Ctx, trace_id: str) -> TraceInfo:
        with self.db.reader() as s:
            row = s.get(TraceRow, trace_id)
            if row is None or row.project_id != ctx.project_id:
                raise NotFound(f"no trace {trace_id!r}", code="trace_not_found")
            return _info(row)


def _info(row: TraceRow) -> TraceInfo:
    return TraceInfo(id=row.id, kind=row.kind, name=row.name, status=row.status,
                     started_at=row.started_at, duration_ms=row.duration_ms, actor=row.actor,
                     inputs=row.inputs, outputs=row.outputs,
                     spans=[Span.model_validate(s) for s in row.spans.get("spans", [])])
