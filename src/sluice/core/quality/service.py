"""Quality reports per version (a job), and redacted versions with personal data masked."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel
from sqlalchemy import select

from sluice.core.context import Ctx
from sluice.core.datasets.commits import WriteResult, WriteTarget
from sluice.core.datasets.refs import DatasetRef, parse_ref
from sluice.core.datasets.rows import HASH, KEY, content_hashes, user_columns
from sluice.core.datasets.writes import write_rows
from sluice.core.jobs.models import JobInfo
from sluice.core.quality.neardup import near_duplicate_groups
from sluice.core.quality.pii import find_pii, redact
from sluice.core.quality.stats import column_stats, exact_duplicates
from sluice.core.sql.engine import trusted_connection
from sluice.errors import NotFound
from sluice.ids import new_id, utcnow
from sluice.storage.metadata.schema import QualityReportRow

if TYPE_CHECKING:
    from sluice.core.datasets.service import DatasetService
    from sluice.core.jobs.context import JobContext
    from sluice.core.jobs.service import JobService
    from sluice.storage.metadata.database import Database
    from sluice.storage.tables import LanceTableStore

KIND_REPORT = "quality.report"
KIND_REDACT = "quality.redact"
NEAR_DUP_MAX_ROWS = 50_000
PII_SAMPLES = 20


class QualityReport(BaseModel):
    """A version's quality report."""

    dataset: str
    version: int
    created_at: datetime
    report: dict[str, Any]


class QualityService:
    def __init__(self, db: Database, tables: LanceTableStore, datasets: DatasetService,
                 jobs: JobService) -> None:
        self.db, self.tables, self.datasets, self.jobs = db, tables, datasets, jobs

    def run(self, ctx: Ctx, ref: str) -> JobInfo:
        """Start a job computing the report of ``ref`` (``name`` or ``name@N``)."""
        row, version = self.datasets.resolve(ctx, ref)
        return self.jobs.submit(
            ctx, KIND_REPORT, {"dataset": row.name, "version": version.number})

    def redact(self, ctx: Ctx, name: str) -> JobInfo:
        """Start a job committing a version with PII in text columns masked."""
        ctx.require("datasets.write", "redact datasets")
        row, _ = self.datasets.resolve(ctx, parse_ref(name).name)
        return self.jobs.submit(ctx, KIND_REDACT, {"dataset": row.name})

    def get(self, ctx: Ctx, ref: str) -> QualityReport:
        row, version = self.datasets.resolve(ctx, ref)
        with self.db.session() as s:
            found = s.scalar(select(QualityReportRow).where(
                QualityReportRow.dataset_id == row.id,
                QualityReportRow.version_number == version.number))
        if found is None:
            raise NotFound(
                f"no quality report for {row.name}@{version.number} yet; run "
                f"`sluice quality {row.name}@{version.number}`",
                code="quality_report_missing",
                details={"dataset": row.name, "version": version.number})
        return QualityReport(dataset=row.name, version=version.number,
                             created_at=found.created_at, report=found.report)

    # -- job bodies ---------------------------------------------------------------

    def compute(self, job: JobContext, name: str, number: int) -> dict[str, Any]:
        ctx = job.ctx
        row, version = self.datasets.resolve(ctx, DatasetRef(name, number))
        table = self.tables.open(row.table_path, version.lance_version).to_table()
        job.progress(1, 4, "column statistics")
        report = _report(table, job)
        report.update(dataset=name, version=number, row_count=table.num_rows)
        self._store(row.id, number, job.id, report)
        return {"message": f"quality report of {name}@{number}", "dataset": name,
                "version": number, "pii_findings": report["pii"]["total"]}

    def redact_latest(self, job: JobContext, name: str) -> dict[str, Any]:
        found: dict[str, Any] = {}

        def write(target: WriteTarget) -> WriteResult:
            assert target.lance_version is not None
            table = self.tables.open(target.table_path, target.lance_version).to_table()
            changed, counts = redacted_rows(table)
            found.update(counts)
            if changed.num_rows == 0:
                return WriteResult(None)
            version = write_rows(self.tables, target, changed, mode="upsert")
            return WriteResult(version, {"redacted": counts}, "PII redacted")

        version = self.datasets.committer.commit(
            job.ctx, name, write, operation="redact", job_id=job.id)
        if version is None:
            return {"message": "no personal data found; nothing committed", **found}
        return {"message": f"committed {name}@{version.number} with PII masked",
                "version": version.number, **found}

    def _store(self, dataset_id: str, number: int, job_id: str, report: dict[str, Any]) -> None:
        with self.db.session() as s:
            existing = s.scalar(select(QualityReportRow).where(
                QualityReportRow.dataset_id == dataset_id,
                QualityReportRow.version_number == number))
            if existing is not None:
                existing.report, existing.job_id, existing.created_at = report, job_id, utcnow()
                return
            s.add(QualityReportRow(id=new_id(), dataset_id=dataset_id, version_number=number,
                                   job_id=job_id, report=report, created_at=utcnow()))


def _report(table: pa.Table, job: JobContext) -> dict[str, Any]:
    con = trusted_connection()
    try:
        con.register("t", table)
        report: dict[str, Any] = {
            "schema": [{"name": f.name, "type": str(f.type)} for f in table.schema],
            "columns": column_stats(con, table.schema, table.num_rows),
            "duplicates": exact_duplicates(con, _dup_column(table)),
        }
    finally:
        con.close()
    job.progress(2, 4, "near-duplicate texts")
    report["near_duplicates"] = _near_dups(table)
    job.progress(3, 4, "personal data")
    report["pii"] = pii_scan(table)
    report["computed_at"] = utcnow().isoformat()
    return report


def _dup_column(table: pa.Table) -> str:
    return "content_hash" if "content_hash" in table.column_names else HASH


# Document datasets: only the extracted content can hold personal data.
DOCUMENT_TEXT = ("title", "text", "metadata")


def text_columns(table: pa.Table) -> list[str]:
    names = user_columns(table.schema)
    if "content_hash" in names:
        names = [n for n in names if n in DOCUMENT_TEXT]
    return [f.name for f in table.schema
            if f.name in names
            and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))]


def _main_text(table: pa.Table) -> str | None:
    cols = text_columns(table)
    if "text" in cols:
        return "text"
    lengths = {c: pc.mean(pc.utf8_length(table.column(c))).as_py() or 0 for c in cols}
    best = max(lengths, key=lambda c: lengths[c], default=None)
    return best if best and lengths[best] >= 20 else None


def _near_dups(table: pa.Table) -> dict[str, Any]:
    column = _main_text(table)
    if column is None:
        return {"column": None, "group_count": 0, "groups": [],
                "note": "no text column with 20+ characters on average"}
    sample = table.slice(0, NEAR_DUP_MAX_ROWS)
    items = list(zip(sample.column(KEY).to_pylist(), sample.column(column).to_pylist(),
                     strict=True))
    result = near_duplicate_groups(items)
    result.update(column=column, sampled=table.num_rows > NEAR_DUP_MAX_ROWS)
    return result


def pii_scan(table: pa.Table) -> dict[str, Any]:
    """Counts of emails, phones, cards and IBANs per text column, with masked samples."""
    by_type: dict[str, int] = {}
    by_column: dict[str, dict[str, int]] = {}
    samples: list[dict[str, Any]] = []
    keys = table.column(KEY).to_pylist()
    for col in text_columns(table):
        for key, text in zip(keys, table.column(col).to_pylist(), strict=True):
            for f in find_pii(text or ""):
                by_type[f.kind] = by_type.get(f.kind, 0) + 1
                per_column = by_column.setdefault(col, {})
                per_column[f.kind] = per_column.get(f.kind, 0) + 1
                if len(samples) < PII_SAMPLES:
                    samples.append({"key": key, "column": col, "type": f.kind,
                                    "masked": f.masked})
    return {"total": sum(by_type.values()), "by_type": by_type, "by_column": by_column,
            "samples": samples}


def redacted_rows(table: pa.Table) -> tuple[pa.Table, dict[str, int]]:
    """The rows that hold PII, with it masked and their content hash updated."""
    cols = text_columns(table)
    changed_mask = [False] * table.num_rows
    counts: dict[str, int] = {}
    new_columns = {}
    for col in cols:
        values = table.column(col).to_pylist()
        for i, text in enumerate(values):
            findings = find_pii(text or "")
            if findings:
                values[i] = redact(text, findings)
                changed_mask[i] = True
                counts[col] = counts.get(col, 0) + len(findings)
        new_columns[col] = pa.array(values, table.schema.field(col).type)
    for col, arr in new_columns.items():
        table = table.set_column(table.schema.get_field_index(col), col, arr)
    changed = table.filter(pa.array(changed_mask, pa.bool_()))
    hashes = content_hashes(changed)
    changed = changed.set_column(changed.schema.get_field_index(HASH), HASH, hashes)
    return changed, counts
