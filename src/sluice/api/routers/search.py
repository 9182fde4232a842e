"""Chunk views and search over them."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.policy import policy
from sluice.core.jobs import JobInfo
from sluice.core.search import QAItem, SearchResults, ViewInfo

router = APIRouter(prefix="/api/v1", tags=["search"])


class NewView(BaseModel):
    name: str
    source: str
    column: str | None = None
    chunk_size: int = 200
    chunk_overlap: int = 30
    embedder: str | None = None
    auto_sync: bool = True
    sync: bool = Field(True, description="Start the first sync job at once.")


class SearchRequest(BaseModel):
    view: str = Field(description="A view, or a dataset with exactly one view.")
    query: str
    mode: str = Field("hybrid", description="text, vector or hybrid.")
    k: int = 10
    where: str | None = Field(None, description="SQL predicate on the source rows.")


@router.get("/views")
def list_views(ctx: CtxDep, platform: PlatformDep) -> list[ViewInfo]:
    """All chunk views of the project."""
    return platform.views.list(ctx)


@router.post("/views", status_code=201)
def create_view(body: NewView, ctx: CtxDep, platform: PlatformDep) -> ViewInfo:
    """Create a chunk view over a dataset's text column; its sync runs as a job."""
    return platform.views.create(
        ctx, body.name, body.source, column=body.column, chunk_size=body.chunk_size,
        chunk_overlap=body.chunk_overlap, embedder=body.embedder, auto_sync=body.auto_sync,
        sync=body.sync)


@router.get("/views/{name}")
def get_view(name: str, ctx: CtxDep, platform: PlatformDep) -> ViewInfo:
    """One view and how far it has caught up with its source."""
    return platform.views.get(ctx, name)


@router.post("/views/{name}/sync", status_code=202)
def sync_view(name: str, ctx: CtxDep, platform: PlatformDep) -> JobInfo:
    """Start a job re-chunking and re-embedding only what changed in the source."""
    return platform.views.sync(ctx, name)


@router.delete("/views/{name}", status_code=204)
def delete_view(name: str, ctx: CtxDep, platform: PlatformDep) -> Response:
    """Delete a view with its versions and indexes."""
    platform.views.delete(ctx, name)
    return Response(status_code=204)


class RetrievalEval(BaseModel):
    view: str
    queries: dict[str, str] = Field(description="Query id to query text.")
    qrels: dict[str, dict[str, int]] = Field(
        description="Query id to {source row key: relevance grade}.")
    modes: list[str] = ["text", "vector", "hybrid"]


@router.post("/eval/retrieval", status_code=202)
def eval_retrieval(body: RetrievalEval, ctx: CtxDep, platform: PlatformDep) -> JobInfo:
    """Start a job scoring a view's search modes (nDCG@10, recall@100, MRR)."""
    return platform.evals.retrieval(ctx, body.view, body.queries, body.qrels, body.modes)


class RagEvalRequest(BaseModel):
    view: str
    items: list[QAItem] = Field(description="Questions with reference answers and sources.")
    k: int = 4
    max_tokens: int = 64
    style: str | None = Field(
        None, description="How each question is answered (see POST /api/v1/ask).")


@router.post("/eval/rag", status_code=202)
def eval_rag(body: RagEvalRequest, ctx: CtxDep, platform: PlatformDep) -> JobInfo:
    """Start a job asking each question and scoring the answers: gold source retrieved and
    cited, answer and extract containing the reference, loops, cuts, time to first words."""
    return platform.rag_evals.submit(ctx, body.view, body.items, k=body.k,
                                     max_tokens=body.max_tokens, style=body.style)


@router.post("/search", openapi_extra=policy(permission="datasets.read"))
def search(body: SearchRequest, ctx: CtxDep, platform: PlatformDep) -> SearchResults:
    """Full-text, vector or hybrid search over a view."""
    return platform.search.search(ctx, body.view, body.query, mode=body.mode, k=body.k,
                                  where=body.where)
