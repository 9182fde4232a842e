"""Upload files from the browser and ingest them as a job.

The caller's role is checked before a byte of the body is read; the body is bounded as a
whole by ``max_upload_bytes`` (the ``BodyLimits`` middleware counts it) and by
``max_upload_files`` files.
"""

from __future__ import annotations

import posixpath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from sluice.api.deps import PlatformDep
from sluice.api.policy import policy
from sluice.core.context import Ctx, Role
from sluice.core.datasets.refs import parse_ref
from sluice.core.ingest.parsers.registry import supported_extensions
from sluice.core.ingest.scan import TABULAR
from sluice.core.ingest.service import IngestRequest, UploadedFile
from sluice.errors import InvalidInput, PayloadTooLarge
from sluice.platform import Platform
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)
MODES = ("auto", "documents", "table")


@twin(router, "/upload", "upload.html")
def upload_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    return {"title": "Upload", "datasets": [d.name for d in platform.datasets.list(ctx)],
            "document_formats": supported_extensions(), "table_formats": sorted(TABULAR),
            "max_upload_bytes": platform.settings.max_upload_bytes,
            "max_upload_files": platform.settings.max_upload_files}


@router.post("/upload", openapi_extra=policy(body="max_upload_bytes", streamed=True,
                                             role=Role.EDITOR))
async def upload(request: Request, ctx: WebCtx, platform: PlatformDep) -> RedirectResponse:
    ctx.require(Role.EDITOR, "upload files")  # before the body is read
    limit = platform.settings.max_upload_files
    try:
        form = await request.form(max_files=limit, max_fields=20)
    except HTTPException as exc:
        raise PayloadTooLarge(f"{exc.detail} (max_upload_files is {limit})",
                              code="too_many_files", details={"limit": limit}) from exc
    try:
        job_id, dataset = await _ingest(form, ctx, platform)
    finally:
        await form.close()
    return RedirectResponse(f"/jobs/{job_id}?back=/datasets/{dataset}", status_code=303)


async def _ingest(form: FormData, ctx: Ctx, platform: Platform) -> tuple[str, str]:
    dataset, mode = str(form.get("dataset") or ""), str(form.get("mode") or "auto")
    parse_ref(dataset)  # a bad name is refused before any file is stored
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}", code="invalid_mode")
    root = f"upload://{dataset}/"
    uploaded = []
    for item in form.getlist("files"):
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        rel = safe_name(item.filename)
        digest, size = await run_in_threadpool(
            platform.blobs.put_stream, item.file, max_bytes=platform.settings.max_upload_bytes)
        uploaded.append(UploadedFile(uri=root + rel, root=root, rel=rel, size=size,
                                     digest=digest))
    if not uploaded:
        raise InvalidInput("choose at least one file", code="nothing_to_ingest")
    request = IngestRequest(dataset=dataset, files=uploaded, mode=mode,  # type: ignore[arg-type]
                            roots=[{"uri": root, "is_folder": False}])
    job = await run_in_threadpool(platform.ingest.submit, ctx, request, local=False)
    return job.id, dataset


def safe_name(name: str) -> str:
    """A relative path without '..', absolute parts or backslashes."""
    parts = [p for p in posixpath.normpath(name.replace("\\", "/")).split("/")
             if p not in ("", ".", "..")]
    if not parts:
        raise InvalidInput(f"invalid file name {name!r}", code="invalid_path")
    return "/".join(parts)[:1024]
