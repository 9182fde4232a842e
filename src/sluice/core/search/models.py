"""What views, search results and indexes look like to callers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class SearchMode(StrEnum):
    TEXT = "text"
    VECTOR = "vector"
    HYBRID = "hybrid"


class ViewInfo(BaseModel):
    """A chunk view and how far it has caught up with its source."""

    name: str
    source: str
    column: str
    chunk_size: int
    chunk_overlap: int
    embedder: str
    dim: int
    auto_sync: bool
    version: int | None  # the view's own newest version
    source_version: int  # the source version the view reflects (0: never synced)
    source_latest: int | None  # the source's newest version
    chunks: int
    index: str  # exact | hnsw | none
    created_at: datetime
    created_by: str

    @property
    def stale(self) -> bool:
        return self.source_latest is not None and self.source_version != self.source_latest


class SearchHit(BaseModel):
    rank: int
    score: float
    key: str  # the chunk's key in the view
    parent_key: str  # the source row's key
    chunk: int
    text: str
    heading: str
    highlights: list[tuple[int, int]]  # character spans of query terms in ``text``
    source: str | None  # the source document (uri/path/title column), when there is one
    dataset: str  # the source dataset
    version: int  # the source version the chunk was made from


class SearchResults(BaseModel):
    view: str
    view_version: int
    dataset: str
    mode: SearchMode
    query: str
    k: int
    where: str | None
    hits: list[SearchHit]
    elapsed_ms: float
    stale: bool  # the source has versions the view has not caught up with
