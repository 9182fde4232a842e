"""Chunk views: create, list, look up and delete them; start and run their syncs."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, aliased

from sluice.core.context import Ctx
from sluice.core.datasets.models import DatasetKind
from sluice.core.datasets.refs import parse_ref
from sluice.core.events.acting import acting_for
from sluice.core.events.models import DatasetCommitted, Event, LabelsCommitted
from sluice.core.jobs.models import JobInfo, JobState
from sluice.core.projects.service import check_name
from sluice.core.search.models import ViewInfo
from sluice.core.views.chunking import ChunkSpec
from sluice.errors import InvalidInput, NotFound
from sluice.ids import new_id, utcnow
from sluice.inference.embedders import embedder_names
from sluice.storage.metadata.schema import DatasetRow, DatasetVersionRow, JobRow, ViewRow

if TYPE_CHECKING:
    from sluice.core.audit.service import AuditLog
    from sluice.core.datasets.service import DatasetService
    from sluice.core.jobs.service import JobService
    from sluice.core.projects.service import ProjectService
    from sluice.settings import Settings
    from sluice.storage.blobs import FsspecBlobStore
    from sluice.storage.metadata.database import Database
    from sluice.storage.tables import LanceTableStore

KIND_SYNC = "views.sync"
AUTO_SYNC_KINDS = (DatasetCommitted.kind, LabelsCommitted.kind)


def view_not_found(name: str) -> NotFound:
    return NotFound(f"{name!r} is not a view; `sluice views list` shows them, "
                    "`sluice views create` makes one", code="view_not_found",
                    details={"view": name})


class ViewService:
    """Views and their syncs (``ViewSync`` runs one with the stores named here)."""

    def __init__(self, db: Database, tables: LanceTableStore, blobs: FsspecBlobStore,
                 datasets: DatasetService, jobs: JobService, projects: ProjectService,
                 audit: AuditLog, settings: Settings) -> None:
        self.db, self.tables, self.blobs, self.datasets = db, tables, blobs, datasets
        self.jobs, self.projects, self.audit, self.settings = jobs, projects, audit, settings

    def create(self, ctx: Ctx, name: str, source: str, *, column: str | None = None,
               chunk_size: int = 200, chunk_overlap: int = 30, embedder: str | None = None,
               auto_sync: bool = True, sync: bool = True) -> ViewInfo:
        """Create the view ``name`` over ``source``'s text ``column`` and start its sync."""
        ctx.require("views.write", "create views")
        check_name(name, "view")
        ChunkSpec(chunk_size, chunk_overlap)
        embedder = embedder or self.settings.embedder
        if embedder not in embedder_names():
            raise InvalidInput(f"unknown embedder {embedder!r}; choose one of "
                               f"{', '.join(embedder_names())}", code="unknown_embedder")
        src, version = self.datasets.resolve(ctx, parse_ref(source).name)
        if src.kind == DatasetKind.VIEW:
            raise InvalidInput("a view's source must be a dataset, not another view",
                               code="invalid_view_source")
        schema = self.tables.schema(src.table_path, version.lance_version)
        column = check_text_column(schema, column)
        view = self.datasets.create(
            ctx, name, kind=DatasetKind.VIEW,
            description=f"chunks of {src.name}.{column}")
        dim = self._dim(embedder)
        with self.db.session() as s:
            s.add(ViewRow(
                id=new_id(), project_id=ctx.project_id, dataset_id=view.id, source_id=src.id,
                column=column, chunk_size=chunk_size, chunk_overlap=chunk_overlap,
                embedder=embedder, dim=dim, auto_sync=auto_sync, source_version=0,
                index_blob=None, index_version=0, created_at=utcnow(),
                created_by=ctx.actor.name))
        self.audit.record(ctx, "view.create", f"view:{name}", source=src.name,
                                   column=column, embedder=embedder)
        if sync:
            self.sync(ctx, name)
        return self.get(ctx, name)

    def _dim(self, embedder: str) -> int:
        from sluice.inference.embedders import get_embedder

        return get_embedder(embedder, self.settings).dim

    def sync(self, ctx: Ctx, name: str) -> JobInfo:
        """Start a job bringing the view up to its source's newest version."""
        ctx.require("views.write", "sync views")
        dataset, _ = self.lookup(ctx, name)
        return self.jobs.submit(ctx, KIND_SYNC, {"view": dataset.name})

    def list(self, ctx: Ctx) -> builtins.list[ViewInfo]:
        with self.db.reader() as s:
            rows = s.execute(select(ViewRow, DatasetRow).join(
                DatasetRow, DatasetRow.id == ViewRow.dataset_id).where(
                ViewRow.project_id == ctx.project_id).order_by(DatasetRow.name)).all()
            return [self._info(s, view, ds) for view, ds in rows]

    def get(self, ctx: Ctx, name: str) -> ViewInfo:
        dataset, view = self.lookup(ctx, name)
        with self.db.reader() as s:
            return self._info(s, view, dataset)

    def lookup(self, ctx: Ctx, name: str) -> tuple[DatasetRow, ViewRow]:
        """The view's dataset row and its view row. A dataset with exactly one view
        stands for that view, so ``search docs`` works when ``docs`` has one."""
        base = parse_ref(name).name
        with self.db.reader() as s:
            ds = s.scalar(select(DatasetRow).where(DatasetRow.project_id == ctx.project_id,
                                                   DatasetRow.name == base))
            if ds is None:
                raise view_not_found(base)
            view = s.scalar(select(ViewRow).where(ViewRow.dataset_id == ds.id))
            if view is None:
                views = s.execute(select(ViewRow, DatasetRow).join(
                    DatasetRow, DatasetRow.id == ViewRow.dataset_id).where(
                    ViewRow.source_id == ds.id)).all()
                if len(views) != 1:
                    raise _not_a_view(base, [d.name for _, d in views])
                view, ds = views[0]
            return ds, view

    def delete(self, ctx: Ctx, name: str) -> None:
        ds, _ = self.lookup(ctx, name)
        self.datasets.delete(ctx, ds.name)

    def _info(self, s: Session, view: ViewRow, ds: DatasetRow) -> ViewInfo:
        source = s.get(DatasetRow, view.source_id)
        assert source is not None
        own = _latest(s, ds.id)
        src_latest = _latest(s, source.id)
        return ViewInfo(
            name=ds.name, source=source.name, column=view.column, chunk_size=view.chunk_size,
            chunk_overlap=view.chunk_overlap, embedder=view.embedder, dim=view.dim,
            auto_sync=view.auto_sync, version=own.number if own else None,
            source_version=view.source_version,
            source_latest=src_latest.number if src_latest else None,
            chunks=own.row_count if own else 0,
            index=_index_kind(view, own), created_at=view.created_at,
            created_by=view.created_by)

    # -- hooks -------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """A source dataset committed a version: sync its auto-sync views. Delivered at
        least once, so a view already at that version, or with a sync still queued, is
        left alone."""
        committed = event.typed()
        ctx = acting_for(self.projects, event)
        if ctx is None or not isinstance(committed, DatasetCommitted) \
                or committed.dataset_kind == DatasetKind.VIEW:
            return
        source = aliased(DatasetRow)
        with self.db.reader() as s:
            views = s.execute(select(DatasetRow.name, ViewRow.source_version).join(
                ViewRow, ViewRow.dataset_id == DatasetRow.id).join(
                source, source.id == ViewRow.source_id).where(
                source.project_id == ctx.project_id, source.name == committed.dataset,
                ViewRow.auto_sync.is_(True))).all()
            queued = {(j.params or {}).get("view") for j in s.scalars(select(JobRow).where(
                JobRow.project_id == ctx.project_id, JobRow.kind == KIND_SYNC,
                JobRow.state == JobState.QUEUED))}
        for name, synced in views:
            if synced < committed.version and name not in queued:
                self.jobs.submit(ctx, KIND_SYNC, {"view": name})

    def forget(self, s: Session, dataset_id: str) -> None:
        """Called inside a dataset delete: drop its view row, refuse if it feeds views."""
        fed = s.scalars(select(DatasetRow.name).join(
            ViewRow, ViewRow.dataset_id == DatasetRow.id).where(
            ViewRow.source_id == dataset_id)).all()
        if fed:
            from sluice.errors import Conflict

            raise Conflict(f"views {', '.join(fed)} are built from this dataset; delete them "
                           "first", code="dataset_has_views", details={"views": list(fed)})
        s.execute(delete(ViewRow).where(ViewRow.dataset_id == dataset_id))


def check_text_column(schema: pa.Schema, column: str | None) -> str:
    """The text column to chunk: the one named, or ``text`` when the dataset has one."""
    if column is None:
        if "text" not in schema.names:
            raise InvalidInput("name the text column to chunk (--column); this dataset has "
                               f"{', '.join(schema.names)}", code="column_required")
        column = "text"
    if column not in schema.names:
        raise NotFound(f"unknown column {column!r}", code="column_not_found",
                       details={"column": column, "available": schema.names})
    kind = schema.field(column).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise InvalidInput(f"column {column!r} holds {kind}, not text; views chunk text "
                           "columns", code="column_not_text", details={"column": column})
    return column


def _not_a_view(name: str, views: builtins.list[str]) -> InvalidInput | NotFound:
    if views:
        return InvalidInput(f"dataset {name!r} has several views ({', '.join(views)}); "
                            "name one", code="ambiguous_view", details={"views": views})
    return NotFound(f"dataset {name!r} has no view yet; create one with `sluice views create "
                    f"NAME --from {name}`", code="view_not_found", details={"view": name})


def _latest(s: Session, dataset_id: str) -> DatasetVersionRow | None:
    return s.scalar(select(DatasetVersionRow).where(DatasetVersionRow.dataset_id == dataset_id)
                    .order_by(DatasetVersionRow.number.desc()).limit(1))


def _index_kind(view: ViewRow, own: DatasetVersionRow | None) -> str:
    if view.index_blob is None or own is None:
        return "none"
    return "hnsw" if own.row_count > _exact_max() else "exact"


def _exact_max() -> int:
    from sluice.core.search.vectors import EXACT_MAX

    return EXACT_MAX


def view_params(view: ViewRow) -> dict[str, Any]:
    return {"column": view.column, "chunk_size": view.chunk_size,
            "chunk_overlap": view.chunk_overlap, "embedder": view.embedder}
