"""Datasets: create, list, look up, read versions, restore, delete."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import lance
import pyarrow as pa
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from sluice.core.audit.service import AuditLog
from sluice.core.context import Ctx
from sluice.core.datasets.browse import QueryLimits, normalise, read_page
from sluice.core.datasets.commits import (
    Committer,
    NewDataset,
    WriteResult,
    WriteTarget,
    new_dataset_row,
)
from sluice.core.datasets.models import (
    ColumnInfo,
    DatasetInfo,
    DatasetKind,
    RowsPage,
    VersionInfo,
)
from sluice.core.datasets.refs import DatasetRef, parse_ref
from sluice.core.datasets.values import jsonable_rows
from sluice.core.projects.service import check_name
from sluice.errors import AlreadyExists, InvalidInput, NotFound
from sluice.storage.metadata.database import Database
from sluice.storage.metadata.schema import (
    AppendKeyRow,
    DatasetRow,
    DatasetVersionRow,
    QualityReportRow,
)
from sluice.storage.tables import LanceTableStore

MAX_PAGE = 1000


def dataset_not_found(name: str) -> NotFound:
    return NotFound(
        f"dataset {name!r} does not exist; `sluice datasets list` shows the names",
        code="dataset_not_found", details={"dataset": name},
    )


class DatasetCatalog:
    def __init__(
        self, db: Database, tables: LanceTableStore, committer: Committer, audit: AuditLog,
        *, limits: QueryLimits | None = None,
    ) -> None:
        self.db = db
        self.tables = tables
        self.committer = committer
        self.audit = audit
        self.limits = limits or QueryLimits()  # for sorted and filtered rows
        self.delete_hooks: builtins.list[Callable[[Any, str], None]] = []

    # -- lookups -----------------------------------------------------------------

    def list(self, ctx: Ctx) -> builtins.list[DatasetInfo]:
        with self.db.reader() as s:
            rows = s.scalars(select(DatasetRow).where(DatasetRow.project_id == ctx.project_id)
                             .order_by(DatasetRow.name)).all()
            return [self._info(s, ctx, row, with_columns=False) for row in rows]

    def get(self, ctx: Ctx, name: str) -> DatasetInfo:
        ref = parse_ref(name)
        with self.db.reader() as s:
            row = self._row(s, ctx, ref.name)
            return self._info(s, ctx, row, with_columns=True)

    def resolve(self, ctx: Ctx, ref: str | DatasetRef) -> tuple[DatasetRow, DatasetVersionRow]:
        """The dataset and the version a reference names.

        Raises:
            NotFound: no such dataset, no such version, or no version yet.
        """
        ref = parse_ref(ref) if isinstance(ref, str) else ref
        with self.db.reader() as s:
            row = self._row(s, ctx, ref.name)
            q = select(DatasetVersionRow).where(DatasetVersionRow.dataset_id == row.id)
            if ref.version is None:
                q = q.order_by(DatasetVersionRow.number.desc()).limit(1)
            else:
                q = q.where(DatasetVersionRow.number == ref.version)
            version = s.scalar(q)
        if version is None:
            raise _version_not_found(ref)
        return row, version

    def open(self, ctx: Ctx, ref: str | DatasetRef) -> lance.LanceDataset:
        """The Lance dataset at the referenced version (read-only use)."""
        row, version = self.resolve(ctx, ref)
        return self.tables.open(row.table_path, version.lance_version)

    def to_arrow(self, ctx: Ctx, ref: str, *,
                 columns: builtins.list[str] | None = None) -> pa.Table:
        ds = self.open(ctx, ref)
        _check_columns(ds.schema, columns)
        return ds.to_table(columns=columns)

    def row(self, ctx: Ctx, ref: str, key: str) -> dict[str, Any]:
        """One row of a version by its ``_key``, JSON-friendly.

        Raises:
            NotFound: ``row_not_found``.
        """
        literal = "'" + key.replace("'", "''") + "'"
        found = self.open(ctx, ref).to_table(filter=f"_key = {literal}", limit=1)
        if found.num_rows == 0:
            raise NotFound(f"{ref} has no row with key {key!r}", code="row_not_found",
                           details={"key": key})
        return jsonable_rows(found)[0]

    def versions(self, ctx: Ctx, name: str) -> builtins.list[VersionInfo]:
        with self.db.reader() as s:
            row = self._row(s, ctx, parse_ref(name).name)
            versions = s.scalars(select(DatasetVersionRow)
                                 .where(DatasetVersionRow.dataset_id == row.id)
                                 .order_by(DatasetVersionRow.number.desc())).all()
            return [version_info(row.name, v) for v in versions]

    def version(self, ctx: Ctx, ref: str) -> VersionInfo:
        row, version = self.resolve(ctx, ref)
        return version_info(row.name, version)

    def schema(self, ctx: Ctx, ref: str) -> builtins.list[ColumnInfo]:
        return columns_of(self.open(ctx, ref).schema)

    def rows(self, ctx: Ctx, ref: str, *, offset: int = 0, limit: int = 50,
             columns: builtins.list[str] | None = None, sort: str | None = None,
             descending: bool = False, where: str | None = None) -> RowsPage:
        """A page of rows of one version, JSON-friendly.

        Args:
            sort: the column to order by (``descending`` for high to low). Without it rows
                come by the dataset's key column, or in storage order when it has none.
            where: one SQL condition in DuckDB's dialect (``score > 0.5``); ``total`` then
                counts the matching rows.

        Raises:
            InvalidInput: ``invalid_page``, ``column_not_found`` (the sort column),
                ``invalid_filter``.
            NotFound: ``column_not_found`` (``columns``), ``version_not_found``.
            Timeout: ``rows_timeout`` (a filter or sort ran past ``sql_timeout_seconds``).
        """
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"offset must be >= 0 and limit 1..{MAX_PAGE}",
                               code="invalid_page")
        query = normalise(sort, descending, where)
        row, version = self.resolve(ctx, ref)
        ds = self.tables.open(row.table_path, version.lance_version)
        _check_columns(ds.schema, columns)
        table, matching = read_page(ds, query, key_column=row.key_column, columns=columns,
                                    offset=offset, limit=limit, limits=self.limits)
        shown = [ds.schema.field(name) for name in table.column_names]  # stored types
        return RowsPage(
            dataset=row.name, version=version.number, offset=offset, limit=limit,
            total=version.row_count if matching is None else matching,
            columns=columns_of(pa.schema(shown)), rows=jsonable_rows(table),
            sort=query.sort, descending=query.descending, where=query.where,
        )

    # -- changes -----------------------------------------------------------------

    def create(self, ctx: Ctx, name: str, *, kind: DatasetKind = DatasetKind.TABLE,
               description: str = "", key_column: str | None = None) -> DatasetInfo:
        """Create an empty dataset (ingest and append also create on first use)."""
        ctx.require("datasets.write", "create datasets")
        check_name(name, "dataset")
        row = new_dataset_row(ctx, name, NewDataset(DatasetKind(kind), description, key_column))
        try:
            with self.db.session() as s:
                s.add(row)
        except IntegrityError as exc:
            raise AlreadyExists(f"dataset {name!r} exists", code="dataset_exists",
                                details={"dataset": name}) from exc
        self.audit.record(ctx, "dataset.create", f"dataset:{name}")
        return self.get(ctx, name)

    def restore(self, ctx: Ctx, name: str, version: int) -> VersionInfo:
        """Commit a new version whose content is that of ``version``."""
        dataset, old = self.resolve(ctx, DatasetRef(parse_ref(name).name, version))

        def write(target: WriteTarget) -> WriteResult:
            lance_version = self.tables.restore(target.table_path, old.lance_version)
            return WriteResult(lance_version, {"restored_from": version},
                               f"restore of version {version}")

        new = self.committer.commit(ctx, dataset.name, write, operation="restore")
        assert new is not None
        return version_info(dataset.name, new)

    def delete(self, ctx: Ctx, name: str) -> None:
        """Delete a dataset, all its versions and its table."""
        ctx.require("datasets.write", "delete datasets")
        name = parse_ref(name).name
        with self.db.lock(f"dataset:{ctx.project_id}:{name}"), self.db.session() as s:
            row = self._row(s, ctx, name)
            for hook in self.delete_hooks:
                hook(s, row.id)
            for table in (DatasetVersionRow, AppendKeyRow, QualityReportRow):
                s.execute(delete(table).where(table.dataset_id == row.id))
            s.delete(row)
            path = row.table_path
        self.tables.drop(path)
        self.audit.record(ctx, "dataset.delete", f"dataset:{name}")

    def describe(self, ctx: Ctx, name: str, description: str) -> DatasetInfo:
        ctx.require("datasets.write", "edit datasets")
        with self.db.session() as s:
            self._row(s, ctx, parse_ref(name).name).description = description
        return self.get(ctx, name)

    # -- helpers -----------------------------------------------------------------

    def _row(self, s: Any, ctx: Ctx, name: str) -> DatasetRow:
        row = s.scalar(select(DatasetRow).where(DatasetRow.project_id == ctx.project_id,
                                                DatasetRow.name == name))
        if row is None:
            raise dataset_not_found(name)
        return row  # type: ignore[no-any-return]

    def _info(self, s: Any, ctx: Ctx, row: DatasetRow, *, with_columns: bool) -> DatasetInfo:
        latest = s.scalar(select(DatasetVersionRow).where(DatasetVersionRow.dataset_id == row.id)
                          .order_by(DatasetVersionRow.number.desc()).limit(1))
        columns: builtins.list[ColumnInfo] = []
        if with_columns and latest is not None:
            columns = columns_of(self.tables.open(row.table_path, latest.lance_version).schema)
        return DatasetInfo(
            id=row.id, name=row.name, project=ctx.project, kind=DatasetKind(row.kind),
            description=row.description, key_column=row.key_column, created_at=row.created_at,
            created_by=row.created_by, latest=version_info(row.name, latest) if latest else None,
            columns=columns,
        )


def version_info(name: str, v: DatasetVersionRow) -> VersionInfo:
    return VersionInfo(
        dataset=name, number=v.number, operation=v.operation, message=v.message,
        row_count=v.row_count, summary=v.summary or {}, created_at=v.created_at,
        created_by=v.created_by, job_id=v.job_id,
    )


def columns_of(schema: pa.Schema) -> builtins.list[ColumnInfo]:
    return [ColumnInfo(name=f.name, type=str(f.type), nullable=f.nullable) for f in schema]


def _check_columns(schema: pa.Schema, columns: builtins.list[str] | None) -> None:
    missing = [c for c in columns or [] if c not in schema.names]
    if missing:
        raise NotFound(f"unknown column(s): {', '.join(missing)}", code="column_not_found",
                       details={"columns": missing, "available": schema.names})


def _version_not_found(ref: DatasetRef) -> NotFound:
    if ref.version is None:
        return NotFound(f"dataset {ref.name!r} has no versions yet; ingest or append data first",
                        code="dataset_empty", details={"dataset": ref.name})
    return NotFound(f"dataset {ref.name!r} has no version {ref.version}",
                    code="version_not_found",
                    details={"dataset": ref.name, "version": ref.version})

