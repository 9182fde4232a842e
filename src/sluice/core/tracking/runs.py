"""Runs: lifecycle, params, tags, stepped metrics (batched writes), inputs and outputs."""

from __future__ import annotations

import functools
import math
import re
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from sluice.core.context import Ctx
from sluice.core.events.log import emit
from sluice.core.events.models import RunFinished, RunInputsLogged, RunSource, RunStarted
from sluice.core.tracking.compare import MAX_COMPARE, RunComparison, compare
from sluice.core.tracking.experiments import Experiments, deleted_experiment, now_ms
from sluice.core.tracking.models import Metric, MetricPage, Run, RunInput, RunStatus
from sluice.core.tracking.pages import decode_token, encode_token
from sluice.errors import Conflict, InvalidInput, NotFound
from sluice.ids import new_id
from sluice.storage.metadata.schema import (
    ExperimentRow,
    LatestMetricRow,
    MetricRow,
    RunInputRow,
    RunOutputRow,
    RunParamRow,
    RunRow,
    RunTagRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sluice.core.audit.service import AuditLog
    from sluice.storage.metadata.database import Database

MAX_METRICS = 10_000
MAX_PARAMS_TAGS = 1_000
MAX_PARAM_VALUE = 6_000
MAX_TAG_VALUE = 8_000
MAX_HISTORY_PAGE = 25_000
RUN_NAME_TAG = "mlflow.runName"
PARENT_TAG = "mlflow.parentRunId"
_KEY = re.compile(r"^[\w.\- /:]{1,250}$")


ENDED = (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)

class Runs:
    """Runs and what they log. Starting, ending, renaming, deleting and restoring a run are
    in the audit log; the values a run logs (metrics, params, tags, inputs, outputs) are
    its own content, stored with their times under a run that names its user."""

    def __init__(self, db: Database, experiments: Experiments, audit: AuditLog) -> None:
        self.db = db
        self.experiments = experiments
        self.audit = audit

    def create(self, ctx: Ctx, experiment: str | int, *, name: str | None = None,
               tags: dict[str, str] | None = None, start_ms: int | None = None,
               parent_id: str | None = None) -> Run:
        ctx.require("runs.write", "start runs")
        tags = dict(tags or {})
        name = name or tags.get(RUN_NAME_TAG) or _run_name()
        tags[RUN_NAME_TAG] = name
        parent_id = parent_id or tags.get(PARENT_TAG)
        if parent_id:
            tags[PARENT_TAG] = parent_id
        with self.db.session() as s:
            exp = self.experiments.row(s, ctx, experiment)
            if exp.lifecycle_stage == "deleted":
                raise deleted_experiment(exp.name)
            if parent_id:
                self._row(s, ctx, parent_id)
            row = RunRow(id=uuid.uuid4().hex, experiment_id=exp.id, name=name[:256],
                         status=RunStatus.RUNNING, lifecycle_stage="active",
                         user=ctx.actor.name, start_ms=start_ms or now_ms(),
                         parent_id=parent_id)
            s.add(row)
            s.flush()
            _write_tags(s, row, tags, new=True)
            emit(s, ctx, RunStarted(run_id=row.id, experiment_id=str(exp.id), name=row.name))
            run = runs_of(rows=[row], tags={row.id: {k: str(v) for k, v in tags.items()}})[0]
        self.audit.record(ctx, "run.create", f"run:{run.id}", name=run.name,
                          experiment=run.experiment_id)
        return run

    def get(self, ctx: Ctx, run_id: str) -> Run:
        with self.db.reader() as s:
            return load_runs(s, [self._row(s, ctx, run_id)])[0]

    def compare(self, ctx: Ctx, run_ids: Sequence[str]) -> RunComparison:
        """Runs side by side (2 to ``MAX_COMPARE``, repeats ignored): the params that
        differ and each run's latest metrics."""
        ids = list(dict.fromkeys(run_ids))
        if not 2 <= len(ids) <= MAX_COMPARE:
            raise InvalidInput(f"choose 2 to {MAX_COMPARE} different runs to compare (got "
                               f"{len(ids)}); tick them on an experiment's runs page",
                               code="invalid_compare")
        with self.db.reader() as s:
            return compare(load_runs(s, [self._row(s, ctx, i) for i in ids]))

    def update(self, ctx: Ctx, run_id: str, *, status: str | None = None,
               end_ms: int | None = None, name: str | None = None,
               values: bool = True) -> Run:
        """Change a run's status, end time or name. ``values=False`` answers the run's
        info without its params, metrics and tags (what MLflow's update-run returns),
        which saves three queries per call."""
        ctx.require("runs.write", "change runs")
        with self.db.session() as s:
            row = self._row(s, ctx, run_id)
            was = row.status
            if status is not None:
                row.status = _status(status)
                if row.status in ENDED:
                    row.end_ms = end_ms or now_ms()
            elif end_ms is not None:
                row.end_ms = end_ms
            if name:
                row.name = name[:256]
                _write_tags(s, row, {RUN_NAME_TAG: row.name})
            finished = row.status in ENDED and was not in ENDED
            run = load_runs(s, [row])[0] if values else \
                runs_of([row], inputs=_inputs(s, [row.id]) if finished else None)[0]
            if finished:
                emit(s, ctx, RunFinished(run_id=run.id, name=run.name, status=str(run.status),
                                         inputs=[RunSource(name=i.name, source=i.source)
                                                 for i in run.inputs]))
        self.audit.record(ctx, "run.update", f"run:{run.id}", name=run.name,
                          status=str(run.status))
        return run

    def set_stage(self, ctx: Ctx, run_id: str, stage: str) -> None:
        """Soft-delete (``deleted``) or restore (``active``) a run."""
        ctx.require("runs.write", "delete runs")
        with self.db.session() as s:
            row = self._row(s, ctx, run_id, active=False)
            row.lifecycle_stage = stage
            name = row.name
        action = "run.delete" if stage == "deleted" else "run.restore"
        self.audit.record(ctx, action, f"run:{run_id}", name=name)

    def log_batch(self, ctx: Ctx, run_id: str, *, metrics: Sequence[Metric] = (),
                  params: dict[str, str] | None = None,
                  tags: dict[str, str] | None = None) -> None:
        """Write metrics, params and tags in one transaction (all or nothing).

        Raises:
            InvalidInput: too many values, a bad key or value, or a param that would change.
        """
        ctx.require("runs.write", "log to runs")
        params, tags = dict(params or {}), dict(tags or {})
        _check_batch(metrics, params, tags)
        for attempt in range(3):
            try:
                with self.db.session() as s:
                    if tags:
                        _write_tags(s, self._row(s, ctx, run_id), tags)
                    else:
                        self._check(s, ctx, run_id)
                    if params:
                        _write_params(s, run_id, params)
                    if metrics:
                        _write_metrics(s, run_id, metrics)
                return
            except IntegrityError:
                # a concurrent writer inserted the same param or tag key first (PostgreSQL
                # checks at insert); the retry sees its value and decides again
                if attempt == 2:
                    raise Conflict(f"run {run_id} was being changed by another writer; "
                                   "retry", code="concurrent_write") from None

    def delete_tag(self, ctx: Ctx, run_id: str, key: str) -> None:
        ctx.require("runs.write", "change runs")
        with self.db.session() as s:
            self._check(s, ctx, run_id)
            s.execute(delete(RunTagRow).where(RunTagRow.run_id == run_id, RunTagRow.key == key))

    def history(self, ctx: Ctx, run_id: str, key: str, *, max_results: int = MAX_HISTORY_PAGE,
                page_token: str | None = None) -> MetricPage:
        """Every value of one metric, by step then time, paginated."""
        rows, token = self.history_rows(ctx, run_id, key, max_results=max_results,
                                        page_token=page_token)
        page = [Metric(key=key, value=v, step=st, timestamp=t, model_id=m)
                for v, st, t, m in rows]
        return MetricPage(metrics=page, next_page_token=token)

    def history_rows(self, ctx: Ctx, run_id: str, key: str, *,
                     max_results: int = MAX_HISTORY_PAGE, page_token: str | None = None
                     ) -> tuple[list[tuple[float, int, int, str | None]], str | None]:
        """(value, step, timestamp, model id) rows and the next page token: the history
        without building an object per value (10,000 steps are common)."""
        limit = max(1, min(max_results, MAX_HISTORY_PAGE))
        offset = decode_token(page_token)
        with self.db.reader() as s:
            self._check(s, ctx, run_id, active=False)
            rows = s.execute(
                select(MetricRow.value, MetricRow.step, MetricRow.timestamp, MetricRow.model_id)
                .where(MetricRow.run_id == run_id, MetricRow.key == key)
                .order_by(MetricRow.step, MetricRow.timestamp, MetricRow.id)
                .offset(offset).limit(limit + 1)).all()
        token = encode_token(offset + limit) if len(rows) > limit else None
        return [(nan_if_null(v), st, t, m) for v, st, t, m in rows[:limit]], token

    def log_inputs(self, ctx: Ctx, run_id: str, inputs: Iterable[RunInput]) -> None:
        ctx.require("runs.write", "log to runs")
        with self.db.session() as s:
            row = self._row(s, ctx, run_id)
            sources = []
            for item in inputs:
                s.add(RunInputRow(id=new_id(), run_id=run_id, name=item.name[:256],
                                  digest=item.digest[:64], source_type=item.source_type[:64],
                                  source=item.source, context=item.context[:64],
                                  details=item.details))
                sources.append(RunSource(name=item.name, source=item.source))
            if sources:
                emit(s, ctx, RunInputsLogged(run_id=row.id, name=row.name, inputs=sources))

    def log_outputs(self, ctx: Ctx, run_id: str, model_ids: Iterable[tuple[str, int]]) -> None:
        ctx.require("runs.write", "log to runs")
        with self.db.session() as s:
            self._check(s, ctx, run_id)
            for model_id, step in model_ids:
                s.merge(RunOutputRow(run_id=run_id, model_id=model_id, step=step))

    def _row(self, s: Session, ctx: Ctx, run_id: str, *, active: bool = True) -> RunRow:
        found = s.execute(select(RunRow, ExperimentRow.project_id).join(ExperimentRow)
                          .where(RunRow.id == str(run_id))).first()
        if found is None or found[1] != ctx.project_id or (
                active and found[0].lifecycle_stage != "active"):
            raise _no_run(ctx, run_id)
        return found[0]  # type: ignore[no-any-return]

    def _check(self, s: Session, ctx: Ctx, run_id: str, *, active: bool = True) -> None:
        """What ``_row`` checks, without loading the run (the log calls' hot path)."""
        found = s.execute(select(RunRow.lifecycle_stage, ExperimentRow.project_id)
                          .join(ExperimentRow).where(RunRow.id == str(run_id))).first()
        if found is None or found[1] != ctx.project_id or (
                active and found[0] != "active"):
            raise _no_run(ctx, run_id)


def _no_run(ctx: Ctx, run_id: str) -> NotFound:
    return NotFound(f"no run {run_id!r} in project {ctx.project!r}",
                    code="run_not_found", details={"run": run_id})


def load_runs(s: Session, rows: Sequence[RunRow]) -> list[Run]:
    """Runs with params, tags, latest metrics, inputs and outputs: five plain (non-ORM)
    queries per page, whatever its size."""
    ids = [r.id for r in rows]
    params: dict[str, dict[str, str]] = {i: {} for i in ids}
    tags: dict[str, dict[str, str]] = {i: {} for i in ids}
    metrics: dict[str, dict[str, Metric]] = {i: {} for i in ids}
    inputs: dict[str, list[RunInput]] = {i: [] for i in ids}
    outputs: dict[str, list[str]] = {i: [] for i in ids}
    p, t, lm, ro = RunParamRow, RunTagRow, LatestMetricRow, RunOutputRow
    for chunk in _chunks(ids, 500):
        for run_id, key, value in s.execute(select(p.run_id, p.key, p.value)
                                            .where(p.run_id.in_(chunk))):
            params[run_id][key] = value
        for run_id, key, value in s.execute(select(t.run_id, t.key, t.value)
                                            .where(t.run_id.in_(chunk))):
            tags[run_id][key] = value
        for run_id, key, number, step, stamp in s.execute(
                select(lm.run_id, lm.key, lm.value, lm.step, lm.timestamp)
                .where(lm.run_id.in_(chunk))):
            metrics[run_id][key] = Metric(key=key, value=nan_if_null(number), step=step,
                                          timestamp=stamp)
        for run_id, found in _inputs(s, chunk).items():
            inputs[run_id] += found
        for run_id, model_id in s.execute(select(ro.run_id, ro.model_id)
                                          .where(ro.run_id.in_(chunk))):
            outputs[run_id].append(model_id)
    return runs_of(rows, params, tags, metrics, inputs, outputs)


def _inputs(s: Session, run_ids: Sequence[str]) -> dict[str, list[RunInput]]:
    """The datasets each run read, by run (runs that read none are left out)."""
    i = RunInputRow
    found: dict[str, list[RunInput]] = {}
    for run_id, name, digest, source_type, source, context, details in s.execute(
            select(i.run_id, i.name, i.digest, i.source_type, i.source, i.context, i.details)
            .where(i.run_id.in_(run_ids))):
        found.setdefault(run_id, []).append(RunInput(
            name=name, digest=digest, source_type=source_type, source=source,
            context=context, details=details))
    return found


def runs_of(rows: Sequence[RunRow], params: dict[str, dict[str, str]] | None = None,
            tags: dict[str, dict[str, str]] | None = None,
            metrics: dict[str, dict[str, Metric]] | None = None,
            inputs: dict[str, list[RunInput]] | None = None,
            outputs: dict[str, list[str]] | None = None) -> list[Run]:
    """Runs from their rows and what is known of their values (missing: none)."""
    def of(found: dict[str, Any] | None, run_id: str, empty: Any) -> Any:
        return found.get(run_id, empty) if found is not None else empty

    return [Run(id=r.id, experiment_id=str(r.experiment_id), name=r.name,
                status=RunStatus(r.status), lifecycle_stage=r.lifecycle_stage, user=r.user,
                start_ms=r.start_ms, end_ms=r.end_ms, parent_id=r.parent_id,
                params=of(params, r.id, {}), metrics=of(metrics, r.id, {}),
                tags=of(tags, r.id, {}), inputs=of(inputs, r.id, []),
                outputs=of(outputs, r.id, []),
                artifact_uri=f"mlflow-artifacts:/{r.experiment_id}/{r.id}/artifacts")
            for r in rows]


def nan_if_null(value: float | None) -> float:
    """Metric values are stored with NULL for NaN (SQLite cannot hold a NaN)."""
    return math.nan if value is None else value


def _write_params(s: Session, run_id: str, params: dict[str, str]) -> None:
    existing = dict(s.execute(select(RunParamRow.key, RunParamRow.value).where(
        RunParamRow.run_id == run_id, RunParamRow.key.in_(list(params)))).all())
    for key, value in params.items():
        if key in existing and existing[key] != value:
            raise InvalidInput(
                f"param {key!r} is already {existing[key]!r}; params cannot change "
                f"(log {value!r} under another key or in a new run)",
                code="param_changed", details={"key": key})
    new = [{"run_id": run_id, "key": k, "value": v} for k, v in params.items()
           if k not in existing]
    if new:
        s.execute(insert(RunParamRow), new)


def _write_tags(s: Session, run: RunRow, tags: dict[str, str], *, new: bool = False) -> None:
    """Set ``tags`` on ``run`` (replacing values; a ``new`` run has none to replace)."""
    if not new:
        s.execute(delete(RunTagRow).where(RunTagRow.run_id == run.id,
                                          RunTagRow.key.in_(list(tags))))
    s.execute(insert(RunTagRow), [{"run_id": run.id, "key": k, "value": str(v)}
                                  for k, v in tags.items()])
    if RUN_NAME_TAG in tags:
        run.name = str(tags[RUN_NAME_TAG])[:256]


def _write_metrics(s: Session, run_id: str, metrics: Sequence[Metric]) -> None:
    stamp = now_ms()
    rows: list[dict[str, Any]] = [
        {"run_id": run_id, "key": m.key, "value": None if math.isnan(m.value) else m.value,
         "step": m.step,
         "timestamp": m.timestamp or stamp, "model_id": m.model_id} for m in metrics]
    fresh = [r for r in rows if r["model_id"] is None or not _link_to_model(s, r)]
    if fresh:
        s.execute(insert(MetricRow), fresh)
    latest: dict[str, dict[str, Any]] = {}
    for r in rows:
        best = latest.get(r["key"])
        if best is None or (r["step"], r["timestamp"]) >= (best["step"], best["timestamp"]):
            latest[r["key"]] = r
    _upsert_latest(s, [{k: r[k] for k in ("run_id", "key", "value", "step", "timestamp")}
                       for r in latest.values()])


def _link_to_model(s: Session, row: dict[str, Any]) -> bool:
    """A value logged again with a model id (as ``log_model`` does) links the stored value
    to the model instead of duplicating it; False when there was no such value."""
    result = s.execute(update(MetricRow).where(
        MetricRow.run_id == row["run_id"], MetricRow.key == row["key"],
        MetricRow.step == row["step"], MetricRow.timestamp == row["timestamp"],
        MetricRow.value.is_(None) if row["value"] is None else MetricRow.value == row["value"],
        MetricRow.model_id.is_(None))
        .values(model_id=row["model_id"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _upsert_latest(s: Session, rows: list[dict[str, Any]]) -> None:
    """Keep the newer value per key, safely against concurrent writers (ON CONFLICT)."""
    s.execute(_latest_upsert(s.get_bind().dialect.name), rows)


@functools.cache
def _latest_upsert(dialect: str) -> Any:
    """The upsert statement, built once per dialect (it is the same on every call)."""
    mod: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = mod.insert(LatestMetricRow)
    ex = stmt.excluded
    table = LatestMetricRow.__table__.c
    newer = (ex.step > table.step) | ((ex.step == table.step)
                                      & (ex.timestamp >= table.timestamp))
    return stmt.on_conflict_do_update(
        index_elements=["run_id", "key"],
        set_={"value": ex.value, "step": ex.step, "timestamp": ex.timestamp}, where=newer)


def _check_batch(metrics: Sequence[Metric], params: dict[str, str],
                 tags: dict[str, str]) -> None:
    if len(metrics) > MAX_METRICS or len(params) + len(tags) > MAX_PARAMS_TAGS:
        raise InvalidInput(f"a batch holds at most {MAX_METRICS} metrics and "
                           f"{MAX_PARAMS_TAGS} params and tags; split it",
                           code="batch_too_large")
    for m in metrics:
        check_key(m.key, "metric")
        if isinstance(m.value, bool) or not isinstance(m.value, (int, float)):
            raise InvalidInput(f"metric {m.key!r} needs a number", code="invalid_metric")
    for key, value in params.items():
        check_key(key, "param")
        if len(str(value)) > MAX_PARAM_VALUE:
            raise InvalidInput(f"param {key!r} is longer than {MAX_PARAM_VALUE} characters",
                               code="param_too_long")
    for key, value in tags.items():
        check_key(key, "tag")
        if len(str(value)) > MAX_TAG_VALUE:
            raise InvalidInput(f"tag {key!r} is longer than {MAX_TAG_VALUE} characters",
                               code="tag_too_long")


def check_key(key: str, what: str) -> str:
    if not isinstance(key, str) or not _KEY.match(key) or ".." in key.split("/"):
        raise InvalidInput(
            f"invalid {what} key {key!r}: use 1..250 letters, digits, '_', '-', '.', ' ', "
            "'/' or ':'", code=f"invalid_{what}_key")
    return key


def _status(value: str) -> RunStatus:
    try:
        return RunStatus(str(value).upper())
    except ValueError:
        raise InvalidInput(f"unknown run status {value!r}; use one of "
                           f"{', '.join(RunStatus)}", code="invalid_status") from None


def _run_name() -> str:
    return f"run-{uuid.uuid4().hex[:8]}"


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
