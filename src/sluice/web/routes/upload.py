"""Upload files from the browser and ingest them as a job.

The caller's role is checked before a byte of the body is read; the body is bounded as a
whole by ``max_upload_bytes`` (the ``BodyLimits`` middleware counts it) and by
``max_upload_files`` files.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from sluice.api.deps import PlatformDep
from sluice.api.policy import policy
from sluice.core.context import Ctx
from sluice.core.ingest import TABULAR, UploadService, supported_extensions
from sluice.errors import PayloadTooLarge
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)


@twin(router, "/upload", "upload.html")
def upload_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    return {"title": "Upload", "datasets": [d.name for d in platform.datasets.list(ctx)],
            "document_formats": supported_extensions(), "table_formats": sorted(TABULAR),
            "max_upload_bytes": platform.settings.max_upload_bytes,
            "max_upload_files": platform.settings.max_upload_files}


@router.post("/upload", openapi_extra=policy(body="max_upload_bytes", streamed=True,
                                             permission="datasets.write"))
async def upload(request: Request, ctx: WebCtx, platform: PlatformDep) -> RedirectResponse:
    platform.uploads.allow(ctx)  # before the body is read
    limit = platform.settings.max_upload_files
    try:
        form = await request.form(max_files=limit, max_fields=20)
    except HTTPException as exc:
        raise PayloadTooLarge(f"{exc.detail} (max_upload_files is {limit})",
                              code="too_many_files", details={"limit": limit}) from exc
    try:
        job_id, dataset = await _ingest(form, ctx, platform.uploads)
    finally:
        await form.close()
    return RedirectResponse(f"/jobs/{job_id}?back=/datasets/{dataset}", status_code=303)


async def _ingest(form: FormData, ctx: Ctx, uploads: UploadService) -> tuple[str, str]:
    dataset, mode = str(form.get("dataset") or ""), str(form.get("mode") or "auto")
    root = uploads.check_form(ctx, dataset, mode)
    stored = []
    for item in form.getlist("files"):
        if isinstance(item, UploadFile) and item.filename:
            stored.append(await run_in_threadpool(
                uploads.store_file, ctx, root, item.filename, item.file))
    job = await run_in_threadpool(uploads.submit, ctx, dataset, mode, root, stored)
    return job.id, dataset
