"""Search pages: search a view, create views, read a source document."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from sluice.api.deps import PlatformDep
from sluice.core.datasets import DatasetKind, DatasetRef
from sluice.errors import SluiceError
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)


@twin(router, "/search", "search.html")
def search_page(request: Request, ctx: WebCtx, platform: PlatformDep, view: str = "",
                q: str = "", mode: str = "hybrid", k: int = 10,
                where: str = "") -> dict[str, Any]:
    views = platform.views.list(ctx)
    sources = [d.name for d in platform.datasets.list(ctx) if d.kind != DatasetKind.VIEW]
    chosen = view or (views[0].name if views else "")
    data: dict[str, Any] = {
        "title": "Search", "views": views, "sources": sources, "view": chosen, "query": q,
        "mode": mode, "k": k, "where": where, "results": None, "error": None}
    if q.strip() and chosen:
        try:
            data["results"] = platform.search.search(ctx, chosen, q, mode=mode, k=k,
                                                     where=where or None)
        except SluiceError as exc:
            data["error"] = exc.to_payload()["error"]
    return data


@router.post("/views/new")
def new_view(ctx: WebCtx, platform: PlatformDep, name: Annotated[str, Form()],
             source: Annotated[str, Form()], column: Annotated[str, Form()] = "",
             chunk_size: Annotated[int, Form()] = 200) -> RedirectResponse:
    platform.views.create(ctx, name, source, column=column or None, chunk_size=chunk_size,
                          chunk_overlap=min(30, chunk_size // 4), sync=False)
    job = platform.views.sync(ctx, name)
    return RedirectResponse(f"/jobs/{job.id}?back=/search?view={name}", status_code=303)


@twin(router, "/datasets/{name}/document", "document.html")
def document_page(request: Request, name: str, key: str, ctx: WebCtx, platform: PlatformDep,
                  version: int | None = None, start: int = 0,
                  end: int = 0) -> dict[str, Any]:
    ref = str(DatasetRef(name, version))
    row = platform.datasets.row(ctx, ref, key)
    text = row.get("text") if isinstance(row.get("text"), str) else None
    spans = [(start, end)] if text and 0 <= start < end <= len(text) else []
    label = next((str(row[c]) for c in ("uri", "path", "title", "name") if row.get(c)), key)
    return {"title": label, "dataset": name, "version": version, "key": key, "row": row,
            "text": text, "spans": spans}
