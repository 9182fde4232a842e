"""MLflow's artifact proxy (``/api/2.0/mlflow-artifacts``) and ``/api/3.0/mlflow/server-info``.

Uploads stream to a temporary file and downloads stream from the blob store, so a
gigabyte artifact never sits in memory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sluice.api.body import stream_to_file
from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.policy import policy
from sluice.core.context import Ctx
from sluice.core.tracking import safe_relpath
from sluice.platform import Platform

router = APIRouter(tags=["mlflow"])
PREFIX = "/api/2.0/mlflow-artifacts/artifacts"


@router.put(PREFIX + "/{path:path}", openapi_extra=policy(
    body="max_artifact_bytes", streamed=True, permission="runs.write"))
async def upload(path: str, request: Request, ctx: CtxDep, platform: PlatformDep) -> Response:
    ctx.require("runs.write", "write artifacts")
    artifacts = platform.tracking.artifacts
    await run_in_threadpool(artifacts.owner, ctx, safe_relpath(path))
    async with received_file(request, platform) as tmp:
        await run_in_threadpool(artifacts.put_file, ctx, path, tmp)
    return Response(status_code=200)


@asynccontextmanager
async def received_file(request: Request, platform: Platform) -> AsyncIterator[Path]:
    """The request body in a temporary file (streamed, at most ``max_artifact_bytes``),
    removed afterwards."""
    tmp_dir = platform.settings.home / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix="artifact-")
    os.close(fd)
    try:
        await stream_to_file(request, tmp, platform.settings.max_artifact_bytes)
        yield Path(tmp)
    finally:
        os.unlink(tmp)


@router.get(PREFIX + "/{path:path}")
def download(path: str, ctx: CtxDep, platform: PlatformDep) -> Response:
    return file_response(platform, ctx, path)


def file_response(platform: Platform, ctx: Ctx, path: str) -> Response:
    """An artifact file as a streamed response (never read whole into memory)."""
    local, digest, size = platform.tracking.artifacts.local_path(ctx, path)
    headers = {"ETag": f'"{digest}"'}
    if local is not None:
        return FileResponse(local, media_type="application/octet-stream", headers=headers)
    handle = platform.tracking.artifacts.open(ctx, path)

    def chunks() -> Iterator[bytes]:
        with handle:
            while block := handle.read(1024 * 1024):
                yield block

    headers["Content-Length"] = str(size)
    return StreamingResponse(chunks(), media_type="application/octet-stream", headers=headers)


@router.get(PREFIX)
def listing(path: str, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    entries = platform.tracking.artifacts.list(ctx, path)
    if entries is None:
        return {}  # the MLflow client reads an empty answer as "this path is a file"
    return {"files": [{"path": e.path, "is_dir": e.is_dir, **(
        {"file_size": e.size} if e.size is not None else {})} for e in entries]}


@router.delete(PREFIX + "/{path:path}")
def delete(path: str, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.tracking.artifacts.delete(ctx, path)
    return {}


@router.get("/api/3.0/mlflow/server-info")
def server_info(ctx: CtxDep) -> dict[str, Any]:
    return {"store_type": "SqlStore", "workspaces_enabled": False,
            "trace_archival_enabled": False, "multipart_uploads_enabled": False,
            "multipart_downloads_enabled": False, "presigned_upload_run_id_supported": False,
            "presigned_upload_model_id_supported": False, "features_enabled": {"gateway": False}}
