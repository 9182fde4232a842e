"""Lance tables, one per dataset, on local disk or S3.

Every write here is one or more Lance commits. Sluice records the Lance version it
reached in the metadata database *after* the writes succeed; that record is what
``name@latest`` means. A writer killed in between leaves Lance versions nobody
recorded; :meth:`LanceTableStore.reset_to` rolls the table back to the recorded
version before the next write, so readers and writers never see partial work.
"""

from __future__ import annotations

from typing import Any

import lance
import pyarrow as pa

from sluice.errors import ExternalService, NotFound
from sluice.storage.location import StoreLocation


class LanceTableStore:
    """Opens and writes the Lance table of each dataset."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        self.options = location.lance_options()

    def uri(self, table_path: str) -> str:
        return self.location.join("tables", table_path)

    def open(self, table_path: str, version: int | None = None) -> lance.LanceDataset:
        """The table at a Lance version (latest when None)."""
        return self.open_uri(self.uri(table_path), version)

    def open_uri(self, uri: str, version: int | None = None) -> lance.LanceDataset:
        table_path = uri
        try:
            return lance.dataset(uri, version=version, storage_options=self.options)
        except (ValueError, FileNotFoundError) as exc:
            raise NotFound(
                f"table {table_path} has no version {version}", code="table_version_not_found"
            ) from exc
        except OSError as exc:
            raise ExternalService(f"cannot open table {table_path}: {exc}") from exc

    def exists(self, table_path: str) -> bool:
        try:
            lance.dataset(self.uri(table_path), storage_options=self.options)
        except (ValueError, FileNotFoundError, OSError):
            return False
        return True

    def create(self, table_path: str, data: pa.Table) -> int:
        ds = lance.write_dataset(
            data, self.uri(table_path), mode="create", storage_options=self.options,
            enable_stable_row_ids=True,
        )
        return int(ds.version)

    def append(self, table_path: str, data: pa.Table) -> int:
        ds = lance.write_dataset(
            data, self.uri(table_path), mode="append", storage_options=self.options
        )
        return int(ds.version)

    def overwrite(self, table_path: str, data: pa.Table) -> int:
        ds = lance.write_dataset(
            data, self.uri(table_path), mode="overwrite", storage_options=self.options
        )
        return int(ds.version)

    def upsert(
        self, table_path: str, data: pa.Table, *, key: str, delete_where: str | None = None
    ) -> int:
        """Insert new keys, update changed ones, and delete unmatched rows that match
        ``delete_where`` (SQL predicate), all in one Lance commit."""
        ds = self.open(table_path)
        builder = ds.merge_insert(key).when_matched_update_all().when_not_matched_insert_all()
        if delete_where:
            builder = builder.when_not_matched_by_source_delete(delete_where)
        builder.execute(data)
        return int(self.open(table_path).version)

    def delete(self, table_path: str, predicate: str) -> int:
        ds = self.open(table_path)
        ds.delete(predicate)
        return int(ds.version)

    def add_null_columns(self, table_path: str, fields: list[pa.Field]) -> int:
        ds = self.open(table_path)
        ds.add_columns(fields)
        return int(ds.version)

    def restore(self, table_path: str, version: int) -> int:
        """Make ``version``'s content the newest version (a new commit)."""
        ds = self.open(table_path, version)
        ds.restore()  # type: ignore[no-untyped-call]
        return int(self.open(table_path).version)

    def latest_version(self, table_path: str) -> int:
        return int(self.open(table_path).version)

    def reset_to(self, table_path: str, version: int | None) -> bool:
        """Roll back commits made after the recorded ``version`` (a killed writer's).

        Returns True when a rollback was needed.
        """
        if version is None:
            return self._drop_unrecorded(table_path)
        if self.latest_version(table_path) == version:
            return False
        self.restore(table_path, version)
        return True

    def _drop_unrecorded(self, table_path: str) -> bool:
        if not self.exists(table_path):
            return False
        fs = self.location.filesystem()
        fs.rm(self.uri(table_path), recursive=True)
        return True

    def drop(self, table_path: str) -> None:
        if self.exists(table_path):
            self.location.filesystem().rm(self.uri(table_path), recursive=True)

    def schema(self, table_path: str, version: int) -> pa.Schema:
        return self.open(table_path, version).schema

    def head(
        self, table_path: str, version: int, *, offset: int, limit: int,
        columns: list[str] | None = None,
    ) -> pa.Table:
        ds = self.open(table_path, version)
        return ds.to_table(columns=columns, offset=offset, limit=limit)

    def scan(
        self, table_path: str, version: int, *, columns: list[str] | None = None,
        filter: str | None = None,
    ) -> pa.Table:
        kwargs: dict[str, Any] = {"columns": columns}
        if filter:
            kwargs["filter"] = filter
        return self.open(table_path, version).to_table(**kwargs)
