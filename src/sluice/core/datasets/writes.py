"""Writing rows into a dataset's Lance table inside a commit (see ``commits.py``)."""

from __future__ import annotations

from typing import Literal

import pyarrow as pa

from sluice.core.datasets.commits import WriteTarget
from sluice.core.datasets.rows import (
    KEY,
    SYSTEM_COLUMNS,
    fit_to_schema,
    null_types_to_string,
    with_system_columns,
)
from sluice.storage.tables import LanceTableStore

Mode = Literal["append", "upsert"]


def write_rows(
    tables: LanceTableStore, target: WriteTarget, data: pa.Table, *, mode: Mode,
    delete_where: str | None = None,
) -> int:
    """Write ``data`` (with system columns) and return the new Lance version.

    ``append`` adds rows; ``upsert`` inserts new keys, replaces changed ones and deletes
    unmatched rows matching ``delete_where``.
    New columns are added to the stored table first; missing ones are filled with nulls.
    """
    if target.lance_version is None:
        return tables.create(target.table_path, null_types_to_string(data))
    stored = tables.open(target.table_path, target.lance_version).schema
    data, new_fields = fit_to_schema(data, stored)
    if new_fields:
        tables.add_null_columns(target.table_path, new_fields)
    if mode == "append":
        return tables.append(target.table_path, data)
    return tables.upsert(target.table_path, data, key=KEY, delete_where=delete_where)


def prepare_rows(
    tables: LanceTableStore, target: WriteTarget, table: pa.Table, *, source: str,
    key_column: str | None = None, keys: list[str] | None = None,
) -> pa.Table:
    """User rows cast to the stored schema first, then given system columns, so a value
    sent as 1 into a float column hashes like the stored 1.0."""
    if target.lance_version is not None:
        stored = tables.open(target.table_path, target.lance_version).schema
        user = pa.schema([f for f in stored if f.name not in SYSTEM_COLUMNS])
        table, _ = fit_to_schema(table, user)
    return with_system_columns(table, source=source, key_column=key_column, keys=keys)


def delete_rows(tables: LanceTableStore, target: WriteTarget, predicate: str) -> int | None:
    """Delete rows matching ``predicate``; None when no row matched."""
    if target.lance_version is None:
        return None
    ds = tables.open(target.table_path, target.lance_version)
    if ds.count_rows(filter=predicate) == 0:
        return None
    return tables.delete(target.table_path, predicate)

