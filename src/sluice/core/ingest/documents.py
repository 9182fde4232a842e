"""Folders of documents into a dataset: one row per file, parsed only when new or changed.

A file's identity is its URI and its change detector the SHA-256 of its bytes. Files
that vanished from an ingested folder are removed in the new version (older versions
keep them). An unchanged folder commits nothing.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sluice.core.datasets.commits import NewDataset, WriteResult, WriteTarget
from sluice.core.datasets.diff import sql_strings
from sluice.core.datasets.models import DatasetKind
from sluice.core.datasets.rows import HASH, KEY
from sluice.core.datasets.writes import write_rows
from sluice.core.events.models import SourceFile
from sluice.core.ingest.parsers.base import Limits
from sluice.core.ingest.parsers.registry import mime_type
from sluice.core.ingest.pool import ParseOutcome, ParserPool, ParseTask
from sluice.core.ingest.scan import FileEntry, Root
from sluice.ids import utcnow

if TYPE_CHECKING:
    from sluice.core.ingest.service import IngestService
    from sluice.core.jobs.context import JobContext

PARSER_VERSION = "1"
DOCUMENT_SCHEMA = pa.schema([
    pa.field(KEY, pa.string()), pa.field(HASH, pa.string()), pa.field("_source", pa.string()),
    pa.field("uri", pa.string()), pa.field("path", pa.string()), pa.field("name", pa.string()),
    pa.field("extension", pa.string()), pa.field("mime_type", pa.string()),
    pa.field("size_bytes", pa.int64()), pa.field("modified_at", pa.timestamp("us", tz="UTC")),
    pa.field("content_hash", pa.string()), pa.field("title", pa.string()),
    pa.field("text", pa.large_string()), pa.field("metadata", pa.string()),
    pa.field("status", pa.string()), pa.field("error_code", pa.string()),
    pa.field("error", pa.string()), pa.field("parser", pa.string()),
    pa.field("parse_ms", pa.float64()), pa.field("thumbnail", pa.binary()),
    pa.field("ingested_at", pa.timestamp("us", tz="UTC")),
])


@dataclass
class Plan:
    to_parse: list[tuple[FileEntry, str]] = field(default_factory=list)
    unchanged: int = 0
    new: int = 0
    changed: int = 0
    deleted: list[str] = field(default_factory=list)


class DocumentIngest:
    def __init__(self, ingest: IngestService, job: JobContext, dataset: str) -> None:
        self.ingest = ingest
        self.job = job
        self.dataset = dataset
        self.settings = ingest.settings

    def run(self, roots: list[Root], entries: list[FileEntry]) -> dict[str, Any]:
        digests = self._store(entries)
        plan = self._plan(roots, entries, digests)
        if not plan.to_parse and not plan.deleted:
            return {"message": f"no changes in {len(entries)} files; nothing committed",
                    "files": len(entries), "unchanged": plan.unchanged, "version": None}
        rows = self._parse(plan.to_parse, len(entries))
        return self._commit(roots, entries, plan, rows)

    # -- steps ----------------------------------------------------------------------

    def _store(self, entries: list[FileEntry]) -> dict[str, str]:
        """Hash each file and keep a copy in the blob store (content-addressed)."""
        digests: dict[str, str] = {}
        total = len(entries) * 2
        for i, entry in enumerate(entries):
            self.job.check_cancelled()
            if entry.digest:
                digests[entry.uri] = entry.digest
            else:
                stored = self.ingest.blobs.put_file(Path(entry.path or ""))
                digests[entry.uri], entry.size = stored
            self.job.progress(i + 1, total, f"hashed {i + 1}/{len(entries)} files")
        return digests

    def _plan(self, roots: list[Root], entries: list[FileEntry], digests: dict[str, str]) -> Plan:
        stored = self._stored_hashes(roots, entries)
        plan = Plan()
        for entry in entries:
            old = stored.get(entry.uri)
            if old == digests[entry.uri]:
                plan.unchanged += 1
                continue
            plan.to_parse.append((entry, digests[entry.uri]))
            plan.new += old is None
            plan.changed += old is not None
        present = {e.uri for e in entries}
        plan.deleted = sorted(k for k in stored if k not in present
                              and _under_folder(k, roots))
        return plan

    def _stored_hashes(self, roots: list[Root], entries: list[FileEntry]) -> dict[str, str]:
        try:
            ds = self.ingest.datasets.open(self.job.ctx, self.dataset)
        except Exception:  # no dataset or no version yet: everything is new
            return {}
        folder_filters = [f"starts_with({KEY}, {sql_strings([r.uri.rstrip('/') + '/'])})"
                          for r in roots if r.is_folder]
        file_keys = [e.uri for e in entries]
        clauses = folder_filters + ([f"{KEY} IN ({sql_strings(file_keys)})"] if file_keys else [])
        if not clauses:
            return {}
        table = ds.to_table(columns=[KEY, "content_hash"], filter=" OR ".join(clauses))
        return dict(zip(table.column(KEY).to_pylist(), table.column("content_hash").to_pylist(),
                        strict=True))

    def _parse(self, items: list[tuple[FileEntry, str]], n_files: int) -> list[dict[str, Any]]:
        by_key = {e.uri: (e, d) for e, d in items}
        pool = ParserPool(self.settings.workers, self.settings.parse_timeout_seconds,
                          Limits(max_text_chars=self.settings.max_text_chars,
                                 max_inflated_bytes=self.settings.max_inflated_bytes,
                                 memory_bytes=self.settings.parser_memory_bytes))
        rows: list[dict[str, Any]] = []
        with tempfile.TemporaryDirectory(prefix="sluice-parse-") as tmp:
            tasks = [self._task(e, d, Path(tmp)) for e, d in items]
            skipped = [t for t in tasks if t is None]
            for outcome in pool.parse(t for t in tasks if t is not None):
                entry, digest = by_key[outcome.task.key]
                rows.append(document_row(entry, digest, outcome))
                self.job.progress(n_files + len(rows), n_files + len(items),
                                  f"parsed {len(rows)}/{len(items)} files")
                self.job.check_cancelled()
            rows.extend(self._too_large(items, skipped))
        return rows

    def _task(self, entry: FileEntry, digest: str, tmp: Path) -> ParseTask | None:
        if entry.size > self.settings.max_file_bytes:
            return None
        path = entry.path or self._local_copy(digest, tmp)
        return ParseTask(key=entry.uri, path=path, extension=entry.extension)

    def _local_copy(self, digest: str, tmp: Path) -> str:
        local = self.ingest.blobs.local_path(digest)
        if local is not None:
            return str(local)
        target = tmp / digest
        with self.ingest.blobs.open(digest) as src, target.open("wb") as dst:
            while chunk := src.read(1024 * 1024):
                dst.write(chunk)
        return str(target)

    def _too_large(self, items: list[tuple[FileEntry, str]], skipped: list[None]) -> list[dict]:  # type: ignore[type-arg]
        if not skipped:
            return []
        limit = self.settings.max_file_bytes
        return [document_row(e, d, None, error=("too_large",
                f"{e.size} bytes is over max_file_bytes ({limit}); recorded, not parsed"))
                for e, d in items if e.size > limit]

    def _commit(self, roots: list[Root], entries: list[FileEntry], plan: Plan,
                rows: list[dict[str, Any]]) -> dict[str, Any]:
        data = pa.Table.from_pylist(rows, schema=DOCUMENT_SCHEMA) if rows else None
        summary = {"files": len(entries), "new": plan.new, "changed": plan.changed,
                   "deleted": len(plan.deleted), "unchanged": plan.unchanged,
                   "errors": sum(1 for r in rows if r["status"] == "error")}

        self.job.check_cancelled(force=True)  # the last moment a cancel leaves no version

        def write(target: WriteTarget) -> WriteResult:
            delete = f"{KEY} IN ({sql_strings(plan.deleted)})" if plan.deleted else None
            table = data if data is not None else DOCUMENT_SCHEMA.empty_table()
            version = write_rows(self.ingest.tables, target, table, mode="upsert",
                                 delete_where=delete)
            files = [SourceFile(uri=r["uri"], digest=r["content_hash"]) for r in rows]
            return WriteResult(version, summary, _message(summary), files=files)

        version = self.ingest.datasets.committer.commit(
            self.job.ctx, self.dataset, write, operation="ingest", job_id=self.job.id,
            create=NewDataset(DatasetKind.DOCUMENTS, key_column=None))
        errors = [{"uri": r["uri"], "code": r["error_code"], "error": r["error"]}
                  for r in rows if r["status"] == "error"]
        return {**summary, "version": version.number if version else None,
                "message": _message(summary), "error_files": errors[:200]}


def _under_folder(key: str, roots: list[Root]) -> bool:
    return any(r.is_folder and key.startswith(r.uri.rstrip("/") + "/") for r in roots)


def _message(summary: dict[str, Any]) -> str:
    return (f"{summary['new']} new, {summary['changed']} changed, {summary['deleted']} deleted, "
            f"{summary['unchanged']} unchanged files ({summary['errors']} with errors)")


def document_row(entry: FileEntry, digest: str, outcome: ParseOutcome | None, *,
                 error: tuple[str, str] | None = None) -> dict[str, Any]:
    """The dataset row for one file, parsed or not."""
    doc = outcome.doc if outcome else None
    failure = outcome.failure if outcome else None
    if failure is not None:
        error = (failure.code, failure.message)
    return {
        KEY: entry.uri, HASH: f"{digest}:{PARSER_VERSION}", "_source": entry.root,
        "uri": entry.uri, "path": entry.rel, "name": entry.rel.rsplit("/", 1)[-1],
        "extension": entry.extension, "mime_type": mime_type(entry.rel),
        "size_bytes": entry.size, "modified_at": entry.modified_at, "content_hash": digest,
        "title": doc.title if doc else None, "text": doc.text if doc else None,
        "metadata": json.dumps(doc.metadata if doc else {}, default=str),
        "status": "error" if error else "ok",
        "error_code": error[0] if error else None, "error": error[1] if error else None,
        "parser": doc.parser if doc else None,
        "parse_ms": round(outcome.seconds * 1000, 3) if outcome else None,
        "thumbnail": doc.thumbnail if doc else None, "ingested_at": utcnow(),
    }
