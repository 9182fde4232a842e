"""Upload files from the browser and ingest them as a job."""

from __future__ import annotations

import posixpath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from sluice.api.deps import PlatformDep
from sluice.core.ingest.parsers.registry import supported_extensions
from sluice.core.ingest.scan import TABULAR
from sluice.core.ingest.service import IngestRequest, UploadedFile
from sluice.errors import InvalidInput
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)


@twin(router, "/upload", "upload.html")
def upload_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    return {"title": "Upload", "datasets": [d.name for d in platform.datasets.list(ctx)],
            "document_formats": supported_extensions(), "table_formats": sorted(TABULAR),
            "max_upload_bytes": platform.settings.max_upload_bytes}


@router.post("/upload")
async def upload(
    ctx: WebCtx, platform: PlatformDep, dataset: Annotated[str, Form()],
    files: Annotated[list[UploadFile], File()], mode: Annotated[str, Form()] = "auto",
) -> RedirectResponse:
    root = f"upload://{dataset}/"
    uploaded = []
    for item in files:
        rel = _safe_name(item.filename or "file")
        digest, size = await run_in_threadpool(
            platform.blobs.put_stream, item.file, max_bytes=platform.settings.max_upload_bytes)
        uploaded.append(UploadedFile(uri=root + rel, root=root, rel=rel, size=size,
                                     digest=digest))
    if not uploaded:
        raise InvalidInput("choose at least one file", code="nothing_to_ingest")
    request = IngestRequest(dataset=dataset, files=uploaded, mode=mode,  # type: ignore[arg-type]
                            roots=[{"uri": root, "is_folder": False}])
    job = await run_in_threadpool(platform.ingest.submit, ctx, request, local=False)
    return RedirectResponse(f"/jobs/{job.id}?back=/datasets/{dataset}", status_code=303)


def _safe_name(name: str) -> str:
    """A relative path without '..', absolute parts or backslashes."""
    parts = [p for p in posixpath.normpath(name.replace("\\", "/")).split("/")
             if p not in ("", ".", "..")]
    if not parts:
        raise InvalidInput(f"invalid file name {name!r}", code="invalid_path")
    return "/".join(parts)[:1024]
