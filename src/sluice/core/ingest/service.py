"""Ingest: files and folders (on this machine, or uploaded) into versioned datasets."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field

from sluice.core.context import Ctx
from sluice.core.datasets.models import DatasetKind
from sluice.core.datasets.refs import parse_ref
from sluice.core.ingest.documents import DocumentIngest
from sluice.core.ingest.scan import FileEntry, Root, is_tabular, scan_paths
from sluice.core.ingest.tables import TableIngest
from sluice.core.jobs.models import JobInfo
from sluice.errors import Forbidden, InvalidInput, NotFound
from sluice.storage.blobs import check_digest

if TYPE_CHECKING:
    from sluice.core.datasets.service import DatasetService
    from sluice.core.jobs.context import JobContext
    from sluice.core.jobs.service import JobService
    from sluice.settings import Settings
    from sluice.storage.blobs import FsspecBlobStore
    from sluice.storage.tables import LanceTableStore

KIND_INGEST = "ingest"
Mode = Literal["auto", "documents", "table"]
URI_SCHEMES = ("file", "upload")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UploadedFile(BaseModel):
    """A file a remote client uploaded as a blob, with where it came from."""

    uri: str = Field(max_length=4096)
    root: str = Field(max_length=4096)
    rel: str = Field(max_length=4096)
    size: int = Field(ge=0)
    mtime: float = 0.0
    digest: str


class IngestRequest(BaseModel):
    """What to ingest: local paths, or uploaded files (remote clients)."""

    dataset: str
    paths: list[str] = []
    files: list[UploadedFile] = []
    roots: list[dict[str, Any]] = []
    mode: Mode = "auto"
    include: list[str] = []
    exclude: list[str] = []
    recursive: bool = True
    key_column: str | None = None


def check_provenance(f: UploadedFile) -> None:
    """An uploaded file's claimed origin is recorded as its provenance (and its row key), so
    it must look like one: ``rel`` a plain relative path, ``uri`` and ``root`` file:// or
    upload:// URIs, none with ``..`` or control characters.

    Raises:
        InvalidInput: ``invalid_path``, naming the field.
    """
    rel = PurePosixPath(f.rel)
    if (not f.rel or rel.is_absolute() or "\\" in f.rel or ".." in rel.parts
            or _CONTROL.search(f.rel)):
        raise _bad_path("rel", f.rel)
    for field, value in (("uri", f.uri), ("root", f.root)):
        parts = urlsplit(value)
        path = unquote(parts.path)
        if (parts.scheme not in URI_SCHEMES or _CONTROL.search(value + path)
                or ".." in PurePosixPath(path).parts or "\\" in path):
            raise _bad_path(field, value)


def _bad_path(field: str, value: str) -> InvalidInput:
    return InvalidInput(f"uploaded file {field} {value[:200]!r} is not a clean relative path "
                        f"or a file:// / upload:// URI", code="invalid_path",
                        details={"field": field})


class IngestService:
    """Starts ingest jobs and runs them (the table and document pipelines use the stores
    and services named here)."""

    def __init__(self, blobs: FsspecBlobStore, tables: LanceTableStore,
                 datasets: DatasetService, jobs: JobService, settings: Settings) -> None:
        self.blobs, self.tables, self.datasets = blobs, tables, datasets
        self.jobs, self.settings = jobs, settings

    def submit(self, ctx: Ctx, request: IngestRequest, *, local: bool = True) -> JobInfo:
        """Start an ingest job.

        Args:
            local: the caller runs on this machine and may name any path; remote
                callers may only name paths under ``ingest_roots``.
        """
        ctx.require("datasets.write", "ingest data")
        parse_ref(request.dataset)
        if not request.paths and not request.files:
            raise InvalidInput("give at least one path or uploaded file", code="nothing_to_ingest")
        for path in request.paths:
            self._check_path(path, local)
        for f in request.files:
            check_provenance(f)
            check_digest(f.digest)
            if not self.blobs.exists(f.digest):
                raise NotFound(f"uploaded blob {f.digest} is missing; upload it first",
                               code="blob_not_found")
        return self.jobs.submit(ctx, KIND_INGEST, request.model_dump())

    def _check_path(self, raw: str, local: bool) -> None:
        path = Path(raw).expanduser()
        if not local:
            allowed = [Path(r).resolve() for r in self.settings.ingest_roots]
            real = path.resolve()
            if not any(real == a or a in real.parents for a in allowed):
                raise Forbidden(
                    f"{raw} is not under a folder this server lets remote callers ingest "
                    "(ingest_roots); upload the files instead", code="path_not_allowed")
        if not path.exists():
            raise NotFound(f"{raw} does not exist", code="path_not_found",
                           details={"path": raw})

    def run(self, job: JobContext, request: IngestRequest) -> dict[str, Any]:
        """The body of an ingest job."""
        roots, entries = self._entries(request)
        if not entries:
            raise InvalidInput("no files matched", code="no_files",
                               details={"paths": request.paths, "include": request.include})
        kind = self._kind(job.ctx, request, roots, entries)
        job.log(f"ingesting {len(entries)} files into {request.dataset} as {kind}")
        if kind == DatasetKind.TABLE:
            return TableIngest(self, job, request.dataset, request.key_column).run(entries)
        return DocumentIngest(self, job, request.dataset).run(roots, entries)

    def _entries(self, request: IngestRequest) -> tuple[list[Root], list[FileEntry]]:
        if request.paths:
            return scan_paths(request.paths, include=request.include or None,
                              exclude=request.exclude or None, recursive=request.recursive)
        roots = [Root(str(r["uri"]), bool(r.get("is_folder"))) for r in request.roots]
        entries = [FileEntry(uri=f.uri, root=f.root, rel=f.rel, size=f.size, mtime=f.mtime,
                             digest=f.digest) for f in request.files]
        return roots, entries

    def _kind(self, ctx: Ctx, request: IngestRequest, roots: list[Root],
              entries: list[FileEntry]) -> DatasetKind:
        try:
            return self.datasets.get(ctx, request.dataset).kind
        except NotFound:
            pass
        if request.mode != "auto":
            return DatasetKind(request.mode)
        explicit_files = not any(r.is_folder for r in roots)
        if explicit_files and all(is_tabular(e) for e in entries):
            return DatasetKind.TABLE
        return DatasetKind.DOCUMENTS
