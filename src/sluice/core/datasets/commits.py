"""The commit protocol: how a dataset moves from one version to the next, atomically.

1. Take the dataset's lock (released by the OS or server if the holder dies).
2. Roll the Lance table back to the last *recorded* version, undoing commits of a
   writer that was killed before it recorded them.
3. Run the writer: any number of Lance commits.
4. Record the new version in the metadata database, in one transaction.

A writer that raises has its Lance commits rolled back at once. A writer killed
between 3 and 4 leaves Lance versions that step 2 of the next commit removes. Either
way ``name@latest`` only ever names a recorded version.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sluice.core.audit.service import AuditLog
from sluice.core.context import Ctx
from sluice.core.datasets.models import DatasetKind
from sluice.core.events.log import EventLog, emit
from sluice.core.events.models import DatasetCommitted, SourceFile
from sluice.ids import new_id, utcnow
from sluice.storage.metadata.database import Database
from sluice.storage.metadata.schema import DatasetRow, DatasetVersionRow
from sluice.storage.tables import LanceTableStore

log = logging.getLogger("sluice.datasets")
MAX_FILES = 10_000  # source files named in one version's event


@dataclass
class WriteTarget:
    """What a writer gets: where to write and what is there now."""

    dataset_id: str
    table_path: str
    lance_version: int | None  # None: the table does not exist yet
    version_number: int  # the recorded Sluice version (0 when none)
    key_column: str | None
    kind: DatasetKind


@dataclass
class WriteResult:
    """What a writer returns. ``lance_version`` None means nothing changed.

    The version's event (written with it) is ``event`` built from the version and
    ``event_fields``; ``parents`` (other dataset versions) and ``files`` (source files read)
    say where its rows came from, besides the version before it."""

    lance_version: int | None
    summary: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    parents: list[str] = field(default_factory=list)
    files: list[SourceFile] = field(default_factory=list)
    event: type[DatasetCommitted] = DatasetCommitted
    event_fields: dict[str, Any] = field(default_factory=dict)


Writer = Callable[[WriteTarget], WriteResult]
OnRecord = Callable[[Session, DatasetVersionRow], None]


@dataclass
class NewDataset:
    """How to create the dataset if the commit finds none."""

    kind: DatasetKind
    description: str = ""
    key_column: str | None = None


class Committer:
    def __init__(self, db: Database, tables: LanceTableStore, audit: AuditLog,
                 events: EventLog) -> None:
        self.db = db
        self.tables = tables
        self.audit = audit
        self.events = events  # each version's event is delivered right after it commits

    def commit(
        self, ctx: Ctx, name: str, writer: Writer, *, operation: str,
        create: NewDataset | None = None, job_id: str | None = None,
        on_record: OnRecord | None = None, permission: str = "datasets.write",
    ) -> DatasetVersionRow | None:
        """Run ``writer`` under the dataset lock and record the version it made.

        ``on_record`` adds rows that must land in the same transaction as the version.
        ``permission``: what the caller needs (committing reviewed labels needs
        ``labels.review``, not the right to change any data).
        Returns None when the writer changed nothing (no version is committed).
        """
        ctx.require(permission, f"{operation} datasets")
        with self.db.lock(f"dataset:{ctx.project_id}:{name}"):
            dataset, last = self._load(ctx, name, create)
            recorded = last.lance_version if last else None
            if self.tables.reset_to(dataset.table_path, recorded):
                log.warning("rolled back unrecorded commits of %s to lance v%s", name, recorded)
            target = WriteTarget(
                dataset_id=dataset.id, table_path=dataset.table_path, lance_version=recorded,
                version_number=last.number if last else 0,
                key_column=dataset.key_column, kind=DatasetKind(dataset.kind),
            )
            result = self._write(writer, target)
            if result.lance_version is None:
                return None
            version = self._record(ctx, dataset, target, result,
                                   operation=operation, job_id=job_id, on_record=on_record)
        self._deliver()
        return version

    def _deliver(self) -> None:
        try:
            self.events.dispatch(prompt_only=True)
        except Exception:  # subscribers never undo a recorded commit; they catch up later
            log.exception("delivering events after a commit failed")

    def _write(self, writer: Writer, target: WriteTarget) -> WriteResult:
        try:
            return writer(target)
        except BaseException:
            self._rollback(target)
            raise

    def _rollback(self, target: WriteTarget) -> None:
        try:
            self.tables.reset_to(target.table_path, target.lance_version)
        except Exception:  # the next commit's reset will try again
            log.exception("rollback of %s failed", target.table_path)

    def _load(
        self, ctx: Ctx, name: str, create: NewDataset | None
    ) -> tuple[DatasetRow, DatasetVersionRow | None]:
        from sluice.core.datasets.catalog import dataset_not_found

        with self.db.session() as s:
            row = s.scalar(select(DatasetRow).where(
                DatasetRow.project_id == ctx.project_id, DatasetRow.name == name))
            if row is None:
                if create is None:
                    raise dataset_not_found(name)
                return new_dataset_row(ctx, name, create), None
            last = s.scalar(select(DatasetVersionRow).where(DatasetVersionRow.dataset_id == row.id)
                            .order_by(DatasetVersionRow.number.desc()).limit(1))
            return row, last

    def _record(
        self, ctx: Ctx, dataset: DatasetRow, target: WriteTarget, result: WriteResult, *,
        operation: str, job_id: str | None, on_record: OnRecord | None,
    ) -> DatasetVersionRow:
        assert result.lance_version is not None
        rows = self.tables.open(dataset.table_path, result.lance_version).count_rows()
        version = DatasetVersionRow(
            id=new_id(), dataset_id=dataset.id, number=target.version_number + 1,
            lance_version=result.lance_version, operation=operation, message=result.message,
            row_count=rows, summary=result.summary, created_at=utcnow(),
            created_by=ctx.actor.name, job_id=job_id,
        )
        with self.db.session() as s:
            if s.get(DatasetRow, dataset.id) is None:
                s.add(dataset)
                s.flush()
            s.add(version)
            if on_record is not None:
                s.flush()
                on_record(s, version)
            emit(s, ctx, _event(dataset, version, result))
        self.audit.record(ctx, f"dataset.{operation}", f"dataset:{dataset.name}@{version.number}",
                          **{**_short(result.summary), "row_count": rows})
        return version


def _event(dataset: DatasetRow, version: DatasetVersionRow,
           result: WriteResult) -> DatasetCommitted:
    before = [f"{dataset.name}@{version.number - 1}"] if version.number > 1 else []
    return result.event(
        dataset=dataset.name, version=version.number, dataset_kind=str(dataset.kind),
        operation=version.operation, row_count=version.row_count, job_id=version.job_id,
        parents=[*before, *result.parents], files=result.files[:MAX_FILES],
        **result.event_fields)


def new_dataset_row(ctx: Ctx, name: str, create: NewDataset) -> DatasetRow:
    dataset_id = new_id()
    return DatasetRow(
        id=dataset_id, project_id=ctx.project_id, name=name, description=create.description,
        kind=create.kind, key_column=create.key_column,
        table_path=f"{ctx.project_id.lower()}/{dataset_id.lower()}.lance",
        created_at=utcnow(), created_by=ctx.actor.name,
    )


def _short(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if isinstance(v, int | float | str | bool)}


def version_count(db: Database, dataset_id: str) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).where(
            DatasetVersionRow.dataset_id == dataset_id)) or 0)
