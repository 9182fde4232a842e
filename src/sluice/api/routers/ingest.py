"""Ingest: blobs uploaded by clients, then an ingest job over them (or server paths)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.policy import policy
from sluice.core.ingest import BlobStored, IngestRequest
from sluice.core.jobs import JobInfo
from sluice.errors import PayloadTooLarge

router = APIRouter(prefix="/api/v1", tags=["ingest"])
MAX_CHECK = 100_000


class BlobCheck(BaseModel):
    digests: Annotated[list[str], Field(max_length=MAX_CHECK)]


class BlobMissing(BaseModel):
    missing: list[str]


@router.post("/blobs/missing")
def missing_blobs(body: BlobCheck, ctx: CtxDep, platform: PlatformDep) -> BlobMissing:
    """Which of these SHA-256 digests the server does not hold yet (upload only those)."""
    return BlobMissing(missing=platform.uploads.missing(ctx, body.digests))


@router.put("/blobs/{digest}", status_code=201,
            openapi_extra=policy(body="max_upload_bytes", streamed=True))
async def put_blob(digest: str, request: Request, ctx: CtxDep,
                   platform: PlatformDep) -> BlobStored:
    """Upload one file's bytes; the digest must be the SHA-256 of the body."""
    platform.uploads.allow(ctx)
    data = await _read_checked(request, platform.settings.max_upload_bytes)
    return await run_in_threadpool(platform.uploads.store, ctx, digest, data)


async def _read_checked(request: Request, limit: int) -> bytes:
    from sluice.api.body import read_limited

    try:
        return await read_limited(request, limit)
    except PayloadTooLarge as exc:
        raise PayloadTooLarge(f"the file exceeds max_upload_bytes ({limit})",
                              details=exc.details) from exc


@router.post("/ingest", status_code=202,
             openapi_extra=policy(body="max_append_bytes", permission="datasets.write"))
def ingest(body: IngestRequest, ctx: CtxDep, platform: PlatformDep) -> JobInfo:
    """Start an ingest job over uploaded blobs, or over server paths under ingest_roots."""
    return platform.ingest.submit(ctx, body, local=False)
