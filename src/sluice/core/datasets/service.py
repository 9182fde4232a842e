"""The dataset service: the catalog plus diffs, row deletes and exports."""

from __future__ import annotations

from sluice.core.context import Ctx
from sluice.core.datasets.catalog import DatasetCatalog, version_info
from sluice.core.datasets.commits import Committer, WriteResult, WriteTarget
from sluice.core.datasets.diff import diff_versions
from sluice.core.datasets.models import DiffResult, VersionInfo
from sluice.core.datasets.refs import DatasetRef, parse_ref, parse_version
from sluice.core.datasets.writes import delete_rows
from sluice.core.sql.export import to_bytes
from sluice.errors import InvalidInput
from sluice.storage.tables import LanceTableStore

MAX_DIFF_ROWS = 1000


class DatasetService(DatasetCatalog):
    def __init__(self, catalog: DatasetCatalog, committer: Committer,
                 tables: LanceTableStore) -> None:
        super().__init__(catalog.db, tables, committer, catalog.audit, limits=catalog.limits)

    def diff(self, ctx: Ctx, name: str, from_version: int | str, to_version: int | str,
             *, limit: int = 100) -> DiffResult:
        """Rows added, removed and changed between two versions (``to`` may be 'latest')."""
        if not 0 <= limit <= MAX_DIFF_ROWS:
            raise InvalidInput(f"limit must be 0..{MAX_DIFF_ROWS}", code="invalid_limit")
        base = parse_ref(name).name
        old_row, old = self.resolve(ctx, DatasetRef(base, _version(from_version)))
        _, new = self.resolve(ctx, DatasetRef(base, _version(to_version)))
        return diff_versions(
            base, self.tables.open(old_row.table_path, old.lance_version),
            self.tables.open(old_row.table_path, new.lance_version),
            old.number, new.number, limit=limit,
        )

    def delete_rows(self, ctx: Ctx, name: str, where: str) -> VersionInfo | None:
        """Commit a version without the rows matching the SQL predicate ``where``.

        Returns None when no row matched (nothing is committed).
        """
        if not isinstance(where, str) or not where.strip() or len(where) > 10_000:
            raise InvalidInput("give a SQL predicate such as \"status = 'spam'\"",
                               code="invalid_predicate")
        base = parse_ref(name).name

        def write(target: WriteTarget) -> WriteResult:
            try:
                version = delete_rows(self.tables, target, where)
            except (ValueError, OSError) as exc:
                raise InvalidInput(f"invalid predicate: {str(exc).splitlines()[0]}",
                                   code="invalid_predicate") from exc
            return WriteResult(version, {"where": where}, f"delete rows where {where}")

        version = self.committer.commit(ctx, base, write, operation="edit")
        return version_info(base, version) if version else None

    def export(self, ctx: Ctx, ref: str, fmt: str) -> bytes:
        """The whole version as CSV, JSON lines, Parquet or Arrow IPC bytes."""
        return to_bytes(self.to_arrow(ctx, ref), fmt)


def _version(value: int | str) -> int | None:
    if isinstance(value, str) and value == "latest":
        return None
    return parse_version(value)
