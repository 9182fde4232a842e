"""Query results, usable as a table, JSON, CSV, Parquet or pandas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sluice.core.datasets.catalog import columns_of
from sluice.core.datasets.models import ColumnInfo
from sluice.core.datasets.values import jsonable_rows

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class QueryResult:
    """The rows a query returned (at most the row limit), and how it went."""

    table: pa.Table
    truncated: bool
    elapsed_ms: float
    limit: int

    @property
    def columns(self) -> list[ColumnInfo]:
        return columns_of(self.table.schema)

    @property
    def row_count(self) -> int:
        return int(self.table.num_rows)

    def rows(self) -> list[dict[str, Any]]:
        """JSON-friendly rows."""
        return jsonable_rows(self.table)

    def to_pandas(self) -> pd.DataFrame:
        frame: pd.DataFrame = self.table.to_pandas()
        return frame

    def to_arrow(self) -> pa.Table:
        return self.table

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape the REST API returns."""
        return {
            "columns": [c.model_dump() for c in self.columns],
            "rows": self.rows(),
            "row_count": self.row_count,
            "truncated": self.truncated,
            "limit": self.limit,
            "elapsed_ms": round(self.elapsed_ms, 3),
        }
