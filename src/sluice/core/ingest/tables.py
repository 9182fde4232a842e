"""Table files (CSV, TSV, JSON lines, Parquet, Excel) into a dataset: one row per record.

Each file is a source: ingesting it again replaces the rows it contributed before
(new rows added, vanished rows removed, rows with a key column updated in place). A
file whose rows are all stored already commits nothing. A file that cannot be read is
reported and skipped; the other files still land, in one version.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sluice.core.datasets.commits import NewDataset, WriteResult, WriteTarget
from sluice.core.datasets.models import DatasetKind
from sluice.core.datasets.rows import HASH, KEY, SOURCE
from sluice.core.datasets.writes import prepare_rows, write_rows
from sluice.core.events.models import SourceFile
from sluice.core.ingest.scan import FileEntry
from sluice.core.ingest.tabular import read_table
from sluice.errors import InvalidInput, SluiceError
from sluice.storage.blobs import sha256_file

if TYPE_CHECKING:
    from sluice.core.ingest.service import IngestService
    from sluice.core.jobs.context import JobContext


class TableIngest:
    def __init__(self, ingest: IngestService, job: JobContext, dataset: str,
                 key_column: str | None) -> None:
        self.ingest = ingest
        self.job = job
        self.dataset = dataset
        self.key_column = key_column

    def run(self, entries: list[FileEntry]) -> dict[str, Any]:
        loaded: list[tuple[FileEntry, pa.Table]] = []
        errors: list[dict[str, Any]] = []
        for i, entry in enumerate(entries):
            self.job.check_cancelled()
            try:
                loaded.append((entry, self._load(entry)))
            except SluiceError as exc:
                errors.append({"uri": entry.uri, "code": exc.code, "error": exc.message})
                self.job.log(f"{entry.rel}: {exc.message}", level="ERROR")
            self.job.progress(i + 1, len(entries) + 1, f"read {i + 1}/{len(entries)} files")
        if not loaded:
            raise errors_to_exception(errors)
        return self._commit(loaded, errors)

    def _load(self, entry: FileEntry) -> pa.Table:
        path = Path(entry.path) if entry.path else self._fetch(entry)
        self.ingest.blobs.put_file(path)
        table, _facts = read_table(path, entry.extension,
                                   max_inflated=self.ingest.settings.max_inflated_bytes)
        return table

    def _fetch(self, entry: FileEntry) -> Path:
        assert entry.digest
        local = self.ingest.blobs.local_path(entry.digest)
        if local is not None:
            return local
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="sluice-table-")) / f"file{entry.extension}"
        tmp.write_bytes(self.ingest.blobs.read(entry.digest))
        return tmp

    def _commit(self, loaded: list[tuple[FileEntry, pa.Table]],
                errors: list[dict[str, Any]]) -> dict[str, Any]:
        summary: dict[str, Any] = {"files": len(loaded) + len(errors), "errors": len(errors),
                                   "rows_in": sum(t.num_rows for _, t in loaded)}

        def write(target: WriteTarget) -> WriteResult:
            key = target.key_column if target.lance_version is not None else self.key_column
            changed = 0
            files = []
            for entry, table in loaded:
                data = prepare_rows(self.ingest.tables, target, table, source=entry.uri,
                                    key_column=key)
                if self._unchanged(target, entry.uri, data):
                    continue
                target.lance_version = write_rows(
                    self.ingest.tables, target, data, mode="upsert",
                    delete_where=f"{SOURCE} = '{_escape(entry.uri)}'")
                changed += 1
                files.append(SourceFile(uri=entry.uri, digest=_digest(entry)))
            summary["changed_files"] = changed
            if not changed:
                return WriteResult(None)
            return WriteResult(target.lance_version, summary,
                               f"ingest of {changed} table file(s), {summary['rows_in']} rows",
                               files=files)

        version = self.ingest.datasets.committer.commit(
            self.job.ctx, self.dataset, write, operation="ingest", job_id=self.job.id,
            create=NewDataset(DatasetKind.TABLE, key_column=self.key_column))
        message = (f"committed {self.dataset}@{version.number}" if version
                   else "no changes; nothing committed")
        return {**summary, "version": version.number if version else None, "message": message,
                "error_files": errors}

    def _unchanged(self, target: WriteTarget, uri: str, data: pa.Table) -> bool:
        if target.lance_version is None:
            return False
        stored = self.ingest.tables.open(target.table_path, target.lance_version).to_table(
            columns=[KEY, HASH], filter=f"{SOURCE} = '{_escape(uri)}'")
        if stored.num_rows != data.num_rows:
            return False
        pairs = set(zip(stored.column(KEY).to_pylist(), stored.column(HASH).to_pylist(),
                        strict=True))
        return pairs == set(zip(data.column(KEY).to_pylist(), data.column(HASH).to_pylist(),
                                strict=True))


def _escape(text: str) -> str:
    return text.replace("'", "''")


def errors_to_exception(errors: list[dict[str, Any]]) -> SluiceError:
    first = errors[0]
    return InvalidInput(f"no file could be read; first error: {first['error']}",
                        code=first["code"], details={"errors": errors[:50]})


def _digest(entry: FileEntry) -> str:
    """The file's SHA-256: the uploaded blob's name, or read from the local file."""
    if entry.digest:
        return entry.digest
    assert entry.path is not None
    return sha256_file(Path(entry.path))[0]
