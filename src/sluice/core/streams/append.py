"""Appending batches of JSON rows: each batch is one version, retried batches are stored once.

An idempotency key names a batch. It is recorded in the same transaction as the
version the batch made, and checked under the dataset lock, so a client that retries
after a timeout (or two clients racing with one key) gets the first version back
instead of a second copy of the rows. Keys belong to one user and one dataset, and carry
a hash of the batch: the same key sent again with other rows is refused (422,
``idempotency_key_reused``) rather than answered as a duplicate with the rows dropped.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.core.context import Ctx
from sluice.core.datasets.commits import Committer, NewDataset, WriteResult, WriteTarget
from sluice.core.datasets.diff import sql_strings
from sluice.core.datasets.models import DatasetKind
from sluice.core.datasets.refs import parse_ref
from sluice.core.datasets.rows import KEY, rows_to_table
from sluice.core.datasets.writes import Mode, prepare_rows, write_rows
from sluice.errors import InvalidInput, PayloadTooLarge, Unprocessable
from sluice.ids import new_id, utcnow
from sluice.storage.metadata.database import Database
from sluice.storage.metadata.schema import AppendKeyRow, DatasetVersionRow
from sluice.storage.tables import LanceTableStore

MAX_KEY = 256


class AppendResult(BaseModel):
    """The version a batch landed in; ``duplicate`` when the key was seen before."""

    dataset: str
    version: int
    rows: int
    duplicate: bool


def batch_hash(rows: list[dict[str, Any]], key_column: str | None) -> str:
    """SHA-256 of the batch as canonical JSON (key order does not matter)."""
    canonical = json.dumps([rows, key_column], sort_keys=True, separators=(",", ":"),
                           default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


class AppendService:
    def __init__(self, db: Database, tables: LanceTableStore, committer: Committer,
                 *, max_rows: int) -> None:
        self.db = db
        self.tables = tables
        self.committer = committer
        self.max_rows = max_rows

    def append(
        self, ctx: Ctx, name: str, rows: list[dict[str, Any]], *,
        idempotency_key: str | None = None, key_column: str | None = None,
        row_keys: list[str] | None = None, source: str | None = None,
        job_id: str | None = None,
    ) -> AppendResult:
        """Commit ``rows`` as one new version of dataset ``name`` (created if needed).

        Args:
            idempotency_key: names the batch; a repeat returns the first result.
            key_column: for a new dataset, the column that identifies rows; appends
                then replace rows with the same key.
            row_keys: explicit per-row identities; rows whose key is stored are skipped
                (a stream re-delivering messages stores each once).
        """
        name = parse_ref(name).name
        self._check(rows, idempotency_key, row_keys)
        table = rows_to_table(rows)
        batch = idempotency_key or new_id()
        digest = batch_hash(rows, key_column) if idempotency_key else ""
        found: dict[str, int] = {}

        def write(target: WriteTarget) -> WriteResult:
            previous = self._seen(ctx, target, idempotency_key, digest)
            if previous is not None:
                found["version"] = previous
                return WriteResult(None)
            data = prepare_rows(self.tables, target, table, source=source or f"append:{batch}",
                                key_column=target.key_column, keys=row_keys)
            if row_keys:
                data = self._unseen_rows(target, data)
                if data.num_rows == 0:
                    return WriteResult(None)
            mode: Mode = "upsert" if target.key_column and not row_keys else "append"
            version = write_rows(self.tables, target, data, mode=mode)
            return WriteResult(version, {"rows": data.num_rows, "batch": batch},
                               f"append of {data.num_rows} rows")

        def record(s: Session, version: DatasetVersionRow) -> None:
            if idempotency_key:
                s.add(AppendKeyRow(id=new_id(), dataset_id=version.dataset_id,
                                   key=idempotency_key, version_number=version.number,
                                   rows=len(rows), created_at=utcnow(),
                                   created_by=ctx.actor.user_id, body_hash=digest))

        created = self.committer.commit(
            ctx, name, write, operation="append", job_id=job_id, on_record=record,
            create=NewDataset(DatasetKind.TABLE, key_column=key_column),
        )
        if created is None:
            return AppendResult(dataset=name, version=found.get("version", 0), rows=len(rows),
                                duplicate="version" in found)
        return AppendResult(dataset=name, version=created.number, rows=len(rows),
                            duplicate=False)

    def _seen(self, ctx: Ctx, target: WriteTarget, key: str | None,
              digest: str) -> int | None:
        """The version an earlier batch with this user's ``key`` made, if any."""
        if not key or target.lance_version is None:
            return None
        with self.db.session() as s:
            row = s.scalars(select(AppendKeyRow).where(  # "": a key stored before keys
                AppendKeyRow.dataset_id == target.dataset_id,  # had owners (any user's)
                AppendKeyRow.created_by.in_([ctx.actor.user_id, ""]),
                AppendKeyRow.key == key)).first()
            if row is None:
                return None
            if row.body_hash and row.body_hash != digest:
                raise Unprocessable(
                    f"idempotency key {key!r} was used for another batch of this dataset; "
                    "use a new key for new rows", code="idempotency_key_reused",
                    details={"version": row.version_number})
            return int(row.version_number)

    def _unseen_rows(self, target: WriteTarget, data: pa.Table) -> pa.Table:
        """Drop rows whose explicit key is stored already (a re-delivered batch)."""
        if target.lance_version is None:
            return data
        keys = data.column(KEY).to_pylist()
        stored = self.tables.open(target.table_path, target.lance_version).to_table(
            columns=[KEY], filter=f"{KEY} IN ({sql_strings(keys)})")
        seen = set(stored.column(KEY).to_pylist())
        if not seen:
            return data
        return data.filter(pc.invert(pc.is_in(data.column(KEY), pa.array(sorted(seen)))))

    def _check(self, rows: Any, key: str | None, row_keys: list[str] | None) -> None:
        if not isinstance(rows, list):
            raise InvalidInput("rows must be a JSON array of objects", code="invalid_rows")
        if len(rows) > self.max_rows:
            raise PayloadTooLarge(
                f"a batch holds at most {self.max_rows} rows (max_append_rows); split it",
                code="batch_too_large", details={"limit": self.max_rows, "rows": len(rows)})
        if key is not None and (not key or len(key) > MAX_KEY or not key.isprintable()):
            raise InvalidInput(f"idempotency keys are 1-{MAX_KEY} printable characters",
                               code="invalid_idempotency_key")
        if row_keys is not None and len(row_keys) != len(rows):
            raise InvalidInput("row_keys must have one key per row", code="invalid_row_keys")

