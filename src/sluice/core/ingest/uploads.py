"""Files sent to the server before an ingest: the bytes go to the blob store, addressed by
their SHA-256, and an ingest job reads them from there.

Every door that takes files (``PUT /api/v1/blobs``, the web upload form) calls this service,
so each gets the same role check before a byte is stored and the same limits.
"""

from __future__ import annotations

import hashlib
import posixpath
from pathlib import Path
from typing import IO, Literal, cast

from pydantic import BaseModel

from sluice.core.context import Ctx
from sluice.core.datasets.refs import parse_ref
from sluice.core.ingest.service import IngestRequest, IngestService, UploadedFile
from sluice.core.jobs.models import JobInfo
from sluice.errors import InvalidInput
from sluice.storage.blobs import BlobStore, check_digest, sha256_file

MODES = ("auto", "documents", "table")
Mode = Literal["auto", "documents", "table"]


class BlobStored(BaseModel):
    digest: str
    size: int


def file_digest(path: Path) -> tuple[str, int]:
    """The SHA-256 hex digest and size of a local file (what ``missing`` asks about)."""
    return sha256_file(path)


class UploadService:
    def __init__(self, blobs: BlobStore, ingest: IngestService, *, max_bytes: int) -> None:
        self.blobs, self.ingest, self.max_bytes = blobs, ingest, max_bytes

    def allow(self, ctx: Ctx) -> None:
        """Raise unless the caller may upload; doors call it before reading a body."""
        ctx.require("datasets.write", "upload files")

    def missing(self, ctx: Ctx, digests: list[str]) -> list[str]:
        """Which of these SHA-256 digests the store lacks (a client uploads only those)."""
        self.allow(ctx)
        return [d for d in digests if not self.blobs.exists(check_digest(d))]

    def store(self, ctx: Ctx, digest: str, data: bytes) -> BlobStored:
        """Store ``data``, which must hash to ``digest``."""
        self.allow(ctx)
        check_digest(digest)
        if hashlib.sha256(data).hexdigest() != digest:
            raise InvalidInput("the body's SHA-256 does not match the digest in the URL",
                               code="digest_mismatch")
        return BlobStored(digest=self.blobs.put_bytes(data), size=len(data))

    def store_file(self, ctx: Ctx, root: str, name: str, stream: IO[bytes]) -> UploadedFile:
        """Store one file sent from a browser under ``root`` (bounded by ``max_bytes``)."""
        self.allow(ctx)
        rel = safe_name(name)
        digest, size = self.blobs.put_stream(stream, max_bytes=self.max_bytes)
        return UploadedFile(uri=root + rel, root=root, rel=rel, size=size, digest=digest)

    def check_form(self, ctx: Ctx, dataset: str, mode: str) -> str:
        """Refuse a bad dataset name or mode before any file is stored; the upload root."""
        self.allow(ctx)
        parse_ref(dataset)
        if mode not in MODES:
            raise InvalidInput(f"mode must be one of {', '.join(MODES)}", code="invalid_mode")
        return f"upload://{dataset}/"

    def submit(self, ctx: Ctx, dataset: str, mode: str, root: str,
               files: list[UploadedFile]) -> JobInfo:
        """Start the ingest job over files stored with ``store_file``."""
        if not files:
            raise InvalidInput("choose at least one file", code="nothing_to_ingest")
        request = IngestRequest(dataset=dataset, files=files, mode=cast(Mode, mode),
                                roots=[{"uri": root, "is_folder": False}])
        return self.ingest.submit(ctx, request, local=False)


def safe_name(name: str) -> str:
    """A relative path without '..', absolute parts or backslashes."""
    parts = [p for p in posixpath.normpath(name.replace("\\", "/")).split("/")
             if p not in ("", ".", "..")]
    if not parts:
        raise InvalidInput(f"invalid file name {name!r}", code="invalid_path")
    return "/".join(parts)[:1024]
