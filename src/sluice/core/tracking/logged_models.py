"""Logged models: a model's files and metadata, made by a run (MLflow 3's LoggedModel)."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from sluice.core.context import Ctx
from sluice.core.tracking.experiments import Experiments, now_ms
from sluice.core.tracking.models import LoggedModel, Metric
from sluice.core.tracking.runs import nan_if_null
from sluice.errors import InvalidInput, NotFound
from sluice.storage.metadata.schema import ExperimentRow, LoggedModelRow, MetricRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sluice.storage.metadata.database import Database

STATUSES = ("LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED")
_CONDITION = re.compile(r"""^\s*(\w+)\s*=\s*(?:'([^']*)'|"([^"]*)")\s*$""")
_FILTERABLE = {"source_run_id", "name", "status", "model_type", "id", "model_id"}


class LoggedModels:
    def __init__(self, db: Database, experiments: Experiments) -> None:
        self.db = db
        self.experiments = experiments

    def create(self, ctx: Ctx, experiment: str | int, name: str, *,
               source_run_id: str | None = None, model_type: str | None = None,
               params: dict[str, str] | None = None,
               tags: dict[str, str] | None = None) -> LoggedModel:
        ctx.require("runs.write", "log models")
        stamp = now_ms()
        with self.db.session() as s:
            exp = self.experiments.row(s, ctx, experiment)
            row = LoggedModelRow(
                id=f"m-{uuid.uuid4().hex}", experiment_id=exp.id,
                name=(name or "model")[:256], source_run_id=source_run_id,
                model_type=model_type, status="LOGGED_MODEL_PENDING",
                params={k: str(v) for k, v in (params or {}).items()},
                tags={k: str(v) for k, v in (tags or {}).items()},
                created_ms=stamp, updated_ms=stamp)
            s.add(row)
            s.flush()
            return _model(s, row)

    def get(self, ctx: Ctx, model_id: str) -> LoggedModel:
        with self.db.reader() as s:
            return _model(s, self._row(s, ctx, model_id))

    def finalize(self, ctx: Ctx, model_id: str, status: str,
                 message: str | None = None) -> LoggedModel:
        ctx.require("runs.write", "log models")
        if status not in STATUSES:
            raise InvalidInput(f"unknown logged model status {status!r}",
                               code="invalid_status")
        with self.db.session() as s:
            row = self._row(s, ctx, model_id)
            row.status, row.status_message, row.updated_ms = status, message, now_ms()
            return _model(s, row)

    def set_tags(self, ctx: Ctx, model_id: str, tags: dict[str, str]) -> None:
        ctx.require("runs.write", "tag models")
        with self.db.session() as s:
            row = self._row(s, ctx, model_id)
            row.tags = {**row.tags, **{k: str(v) for k, v in tags.items()}}
            row.updated_ms = now_ms()

    def search(self, ctx: Ctx, experiment_ids: list[str], *, filter: str | None = None,
               max_results: int = 100) -> list[LoggedModel]:
        conditions = _parse(filter)
        with self.db.reader() as s:
            ids = [self.experiments.row(s, ctx, e).id for e in experiment_ids]
            q = select(LoggedModelRow).where(LoggedModelRow.experiment_id.in_(ids))
            for column, value in conditions:
                q = q.where(getattr(LoggedModelRow, column) == value)
            rows = s.scalars(q.order_by(LoggedModelRow.created_ms.desc())
                             .limit(max(1, min(max_results, 1000))))
            return [_model(s, r) for r in rows]

    def _row(self, s: Session, ctx: Ctx, model_id: str) -> LoggedModelRow:
        found = s.execute(select(LoggedModelRow, ExperimentRow.project_id)
                          .join(ExperimentRow).where(LoggedModelRow.id == model_id)).first()
        if found is None or found[1] != ctx.project_id:
            raise NotFound(f"no logged model {model_id!r}", code="model_not_found",
                           details={"model": model_id})
        return found[0]  # type: ignore[no-any-return]


def _parse(text: str | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for part in re.split(r"\s+AND\s+", text or "", flags=re.IGNORECASE):
        if not part.strip():
            continue
        match = _CONDITION.match(part)
        if match is None or match.group(1) not in _FILTERABLE:
            raise InvalidInput(f"unsupported logged-model filter {part.strip()!r}; use "
                               f"{', '.join(sorted(_FILTERABLE))} = 'value' joined by AND",
                               code="invalid_filter")
        column = "id" if match.group(1) == "model_id" else match.group(1)
        out.append((column, match.group(2) if match.group(2) is not None else match.group(3)))
    return out


def _model(s: Session, row: LoggedModelRow) -> LoggedModel:
    metrics = s.execute(select(MetricRow.key, MetricRow.value, MetricRow.step,
                               MetricRow.timestamp).where(MetricRow.model_id == row.id)).all()
    return LoggedModel(id=row.id, experiment_id=str(row.experiment_id), name=row.name,
                       source_run_id=row.source_run_id, model_type=row.model_type,
                       status=row.status, status_message=row.status_message,
                       tags=dict(row.tags), params=dict(row.params),
                       metrics=[Metric(key=k, value=nan_if_null(v), step=st, timestamp=t,
                                       model_id=row.id)
                                for k, v, st, t in metrics],
                       created_ms=row.created_ms, updated_ms=row.updated_ms)
