"""Experiments: named groups of runs in a project. ``"0"`` names the project's Default."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sluice.core.context import Ctx
from sluice.core.tracking.models import Experiment
from sluice.errors import AlreadyExists, InvalidInput, NotFound
from sluice.storage.metadata.schema import ExperimentRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sluice.core.audit.service import AuditLog
    from sluice.storage.metadata.database import Database

DEFAULT_EXPERIMENT = "Default"
_STAGE_ACTIONS = {"deleted": "experiment.delete", "active": "experiment.restore"}


def now_ms() -> int:
    return int(time.time() * 1000)


class Experiments:
    def __init__(self, db: Database, audit: AuditLog) -> None:
        self.db = db
        self.audit = audit

    def create(self, ctx: Ctx, name: str, *, tags: dict[str, str] | None = None) -> Experiment:
        ctx.require("runs.write", "create experiments")
        name = _check_name(name)
        try:
            with self.db.session() as s:
                row = _insert(s, ctx, name, tags or {})
        except IntegrityError:
            raise AlreadyExists(f"experiment {name!r} already exists",
                                code="experiment_exists", details={"name": name}) from None
        self.audit.record(ctx, "experiment.create", name, id=row.id)
        return to_experiment(row)

    def ensure(self, ctx: Ctx, name: str) -> Experiment:
        """The experiment called ``name``, created when missing (``client.run`` uses this)."""
        found = self.by_name(ctx, name)
        if found is not None and found.lifecycle_stage == "deleted":
            raise deleted_experiment(name)
        if found is not None:
            return found
        try:
            return self.create(ctx, name)
        except AlreadyExists:  # created by a concurrent caller
            return self.by_name(ctx, name)  # type: ignore[return-value]

    def by_name(self, ctx: Ctx, name: str) -> Experiment | None:
        with self.db.reader() as s:
            row = s.scalars(select(ExperimentRow).where(
                ExperimentRow.project_id == ctx.project_id, ExperimentRow.name == name)).first()
            return to_experiment(row) if row else None

    def get(self, ctx: Ctx, ref: str | int) -> Experiment:
        """An experiment by id (``"0"`` is the Default experiment) or by name."""
        with self.db.session() as s:
            return to_experiment(self.row(s, ctx, ref))

    def row(self, s: Session, ctx: Ctx, ref: str | int) -> ExperimentRow:
        text = str(ref).strip()
        if text == "0":
            return self._default(s, ctx)
        row = s.get(ExperimentRow, int(text)) if text.isdigit() else s.scalars(
            select(ExperimentRow).where(ExperimentRow.project_id == ctx.project_id,
                                        ExperimentRow.name == text)).first()
        if row is None or row.project_id != ctx.project_id:
            raise NotFound(f"no experiment {text!r}; `sluice experiments list` shows them",
                           code="experiment_not_found", details={"experiment": text})
        return row

    def list(self, ctx: Ctx, *, include_deleted: bool = False) -> list[Experiment]:
        q = select(ExperimentRow).where(ExperimentRow.project_id == ctx.project_id)
        if not include_deleted:
            q = q.where(ExperimentRow.lifecycle_stage == "active")
        with self.db.reader() as s:
            return [to_experiment(r) for r in s.scalars(q.order_by(ExperimentRow.id))]

    def run_counts(self, ctx: Ctx) -> dict[str, int]:
        """Active runs per experiment id."""
        from sqlalchemy import func

        from sluice.storage.metadata.schema import RunRow

        with self.db.reader() as s:
            rows = s.execute(select(RunRow.experiment_id, func.count()).join(ExperimentRow)
                             .where(ExperimentRow.project_id == ctx.project_id,
                                    RunRow.lifecycle_stage == "active")
                             .group_by(RunRow.experiment_id)).all()
        return {str(e): int(n) for e, n in rows}

    def update(self, ctx: Ctx, ref: str | int, *, name: str | None = None,
               tags: dict[str, str] | None = None, stage: str | None = None) -> Experiment:
        ctx.require("runs.write", "change experiments")
        with self.db.session() as s:
            row = self.row(s, ctx, ref)
            if name is not None:
                row.name = _check_name(name)
            if tags:
                row.tags = {**row.tags, **{k: str(v) for k, v in tags.items()}}
            if stage is not None:
                row.lifecycle_stage = stage
            row.updated_ms = now_ms()
            exp = to_experiment(row)
        action = _STAGE_ACTIONS.get(stage or "", "experiment.update")
        self.audit.record(ctx, action, exp.name, id=exp.id, stage=stage)
        return exp

    def delete(self, ctx: Ctx, ref: str | int) -> Experiment:
        """Move an experiment (and so its runs) to the trash; ``restore`` brings it back.

        Raises:
            InvalidInput: the Default experiment, which every project keeps.
        """
        if self.get(ctx, ref).name == DEFAULT_EXPERIMENT:
            raise InvalidInput("the Default experiment cannot be deleted",
                               code="default_experiment")
        return self.update(ctx, ref, stage="deleted")

    def restore(self, ctx: Ctx, ref: str | int) -> Experiment:
        return self.update(ctx, ref, stage="active")

    def _default(self, s: Session, ctx: Ctx) -> ExperimentRow:
        row = s.scalars(select(ExperimentRow).where(
            ExperimentRow.project_id == ctx.project_id,
            ExperimentRow.name == DEFAULT_EXPERIMENT)).first()
        return row or _insert(s, ctx, DEFAULT_EXPERIMENT, {})


def deleted_experiment(name: str) -> InvalidInput:
    return InvalidInput(f"experiment {name!r} is deleted; `sluice experiments restore "
                        f"{name}` brings it back", code="experiment_deleted")


def _insert(s: Session, ctx: Ctx, name: str, tags: dict[str, str]) -> ExperimentRow:
    stamp = now_ms()
    row = ExperimentRow(project_id=ctx.project_id, name=name, lifecycle_stage="active",
                        tags={k: str(v) for k, v in tags.items()},
                        created_ms=stamp, updated_ms=stamp)
    s.add(row)
    s.flush()
    return row


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 256:
        raise InvalidInput("an experiment name needs 1..256 characters",
                           code="invalid_experiment_name")
    return name


def to_experiment(row: ExperimentRow) -> Experiment:
    return Experiment(id=str(row.id), name=row.name, lifecycle_stage=row.lifecycle_stage,
                      tags=dict(row.tags), created_ms=row.created_ms, updated_ms=row.updated_ms,
                      artifact_uri=f"mlflow-artifacts:/{row.id}")
