"""What datasets, versions, rows and diffs look like to callers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class DatasetKind(StrEnum):
    TABLE = "table"
    DOCUMENTS = "documents"
    VIEW = "view"  # derived from another dataset (chunks of its text)


class ColumnInfo(BaseModel):
    name: str
    type: str
    nullable: bool = True


class VersionInfo(BaseModel):
    """One immutable snapshot: ``name@number``."""

    dataset: str
    number: int
    operation: str
    message: str
    row_count: int
    summary: dict[str, Any]
    created_at: datetime
    created_by: str
    job_id: str | None

    @property
    def ref(self) -> str:
        return f"{self.dataset}@{self.number}"


class DatasetInfo(BaseModel):
    """A dataset and its newest version."""

    id: str
    name: str
    project: str
    kind: DatasetKind
    description: str
    key_column: str | None
    created_at: datetime
    created_by: str
    latest: VersionInfo | None
    columns: list[ColumnInfo] = []


class RowsPage(BaseModel):
    """A page of rows from one version; ``total`` counts the rows ``where`` matches."""

    dataset: str
    version: int
    offset: int
    limit: int
    total: int
    columns: list[ColumnInfo]
    rows: list[dict[str, Any]]
    sort: str | None = None
    descending: bool = False
    where: str | None = None


class DiffRow(BaseModel):
    key: str
    change: str  # added | removed | changed
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changed_columns: list[str] = Field(
        default_factory=list, description="For a changed row: the columns whose values "
        "differ (system columns left out).")


class DiffResult(BaseModel):
    """Rows added, removed and changed from version ``from_version`` to ``to_version``."""

    dataset: str
    from_version: int
    to_version: int
    added: int
    removed: int
    changed: int
    columns_added: list[str]
    columns_removed: list[str]
    rows: list[DiffRow]
    truncated: bool
