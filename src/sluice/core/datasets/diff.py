"""Row-level diff between two versions, keyed by each row's ``_key``.

A row whose key appears only in the newer version was added, only in the older one
removed, in both with a different ``_hash`` changed, and so is one with a value in a
column only one version has (labels committed as a new column leave the hash of the
shared columns alone). DuckDB does the join; Lance scans only the system columns and
those added or removed ones, so diffing large versions stays cheap.
"""

from __future__ import annotations

from typing import Any

import lance

from sluice.core.datasets.models import DiffResult, DiffRow
from sluice.core.datasets.values import jsonable
from sluice.core.sql.engine import trusted_connection
from sluice.errors import InvalidInput

KEY, HASH = "_key", "_hash"
_CHANGE = """
    CASE WHEN a._key IS NULL THEN 'added' WHEN b._key IS NULL THEN 'removed' ELSE 'changed' END
"""


def _join(gained: list[str], lost: list[str]) -> str:
    """Both versions' keys and hashes, with the columns only one of them has."""
    def side(view: str, extra: list[str]) -> str:
        return f"(SELECT {', '.join([KEY, HASH, *(_quote(c) for c in extra)])} FROM {view})"

    return f"{side('va', lost)} a FULL OUTER JOIN {side('vb', gained)} b ON a._key = b._key"


def _filled(columns: list[str], alias: str) -> str:
    """A row whose value in a column the other version lacks is set (a label committed
    as a new column, say) has changed, whatever its hash of the shared columns says."""
    return "".join(f" OR {alias}.{_quote(c)} IS NOT NULL" for c in columns)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def diff_versions(
    name: str, old: lance.LanceDataset, new: lance.LanceDataset,
    old_number: int, new_number: int, *, limit: int = 100,
) -> DiffResult:
    """Compare two Lance snapshots of the same dataset."""
    for ds in (old, new):
        if KEY not in ds.schema.names or HASH not in ds.schema.names:
            raise InvalidInput("this dataset has no _key/_hash columns to diff on",
                               code="diff_unsupported")
    gained = [c for c in new.schema.names if c not in old.schema.names]
    lost = [c for c in old.schema.names if c not in new.schema.names]
    con = trusted_connection()
    try:
        con.register("va", old.scanner(columns=[KEY, HASH, *lost]).to_reader())
        con.register("vb", new.scanner(columns=[KEY, HASH, *gained]).to_reader())
        changes = con.sql(
            f"SELECT coalesce(a._key, b._key) AS k, {_CHANGE} AS change "
            f"FROM {_join(gained, lost)} WHERE a._key IS NULL OR b._key IS NULL "
            f"OR a._hash IS DISTINCT FROM b._hash{_filled(gained, 'b')}{_filled(lost, 'a')}"
        ).fetchall()
    finally:
        con.close()
    counts = {"added": 0, "removed": 0, "changed": 0}
    for _, change in changes:
        counts[change] += 1
    sample = changes[:limit]
    return DiffResult(
        dataset=name, from_version=old_number, to_version=new_number,
        columns_added=gained, columns_removed=lost,
        rows=_rows(old, new, sample), truncated=len(changes) > limit, **counts,
    )


def _rows(old: lance.LanceDataset, new: lance.LanceDataset,
          sample: list[tuple[str, str]]) -> list[DiffRow]:
    keys = [k for k, _ in sample]
    before, after = _by_key(old, keys), _by_key(new, keys)
    return [DiffRow(key=k, change=c, before=before.get(k), after=after.get(k),
                    changed_columns=changed_columns(before.get(k), after.get(k)))
            for k, c in sample]


def changed_columns(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """The user columns whose values differ between two versions of a row, in the newer
    row's column order (a column only one side has counts as changed)."""
    if before is None or after is None:
        return []
    names = [*after, *(c for c in before if c not in after)]
    return [c for c in names if not c.startswith("_") and before.get(c) != after.get(c)]


def _by_key(ds: lance.LanceDataset, keys: list[str]) -> dict[str, dict[str, Any]]:
    if not keys:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), 500):
        table = ds.to_table(filter=f"{KEY} IN ({sql_strings(keys[start:start + 500])})")
        for row in table.to_pylist():
            found[row[KEY]] = {k: jsonable(v) for k, v in row.items()}
    return found


def sql_strings(values: list[str]) -> str:
    """A comma-separated list of SQL string literals, quotes escaped."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)
