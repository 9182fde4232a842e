"""Content-addressed blobs through fsspec: ``<root>/blobs/sha256/ab/cd/<hex>``.

A blob's name is the SHA-256 of its bytes, so writing the same file twice stores it
once, and a half-written blob is never visible under its name: local writes go to a
temporary name and are renamed; an S3 PUT is atomic.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

from sluice.errors import ExternalService, InvalidInput, NotFound
from sluice.storage.location import StoreLocation

T = TypeVar("T")
_HEX = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


class BlobStore(Protocol):
    """What services need from a blob store."""

    def put_file(self, path: Path) -> tuple[str, int]: ...
    def put_bytes(self, data: bytes) -> str: ...
    def put_stream(self, stream: IO[bytes], *, max_bytes: int) -> tuple[str, int]: ...
    def exists(self, digest: str) -> bool: ...
    def open(self, digest: str) -> IO[bytes]: ...
    def read(self, digest: str) -> bytes: ...
    def local_path(self, digest: str) -> Path | None: ...


def sha256_file(path: Path) -> tuple[str, int]:
    """The SHA-256 hex digest and size of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def check_digest(digest: str) -> str:
    if not _HEX.match(digest):
        raise InvalidInput(f"{digest!r} is not a SHA-256 hex digest", code="invalid_digest")
    return digest


class FsspecBlobStore:
    """Blobs on a local folder or an S3 bucket."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        self.fs = location.filesystem()
        self.root = location.join("blobs", "sha256")

    def key(self, digest: str) -> str:
        check_digest(digest)
        return f"{self.root}/{digest[:2]}/{digest[2:4]}/{digest}"

    def put_file(self, path: Path) -> tuple[str, int]:
        """Store a file; returns its digest and size."""
        digest, size = sha256_file(path)
        if not self.exists(digest):
            self._upload(path, digest)
        return digest, size

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if not self.exists(digest):
            with tempfile.NamedTemporaryFile(delete=False) as tmp:
                tmp.write(data)
            try:
                self._upload(Path(tmp.name), digest)
            finally:
                os.unlink(tmp.name)
        return digest

    def put_stream(self, stream: IO[bytes], *, max_bytes: int) -> tuple[str, int]:
        """Store bytes read from a stream, refusing more than ``max_bytes``."""
        from sluice.errors import PayloadTooLarge

        with tempfile.NamedTemporaryFile(delete=False) as tmp:
            size = 0
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                size += len(chunk)
                if size > max_bytes:
                    os.unlink(tmp.name)
                    raise PayloadTooLarge(
                        f"upload exceeds {max_bytes} bytes (max_upload_bytes)",
                        details={"limit": max_bytes},
                    )
                tmp.write(chunk)
        try:
            return self.put_file(Path(tmp.name))
        finally:
            os.unlink(tmp.name)

    def exists(self, digest: str) -> bool:
        return bool(self._call(self.fs.exists, self.key(digest)))

    def open(self, digest: str) -> IO[bytes]:
        try:
            return self.fs.open(self.key(digest), "rb")  # type: ignore[no-any-return]
        except FileNotFoundError as exc:
            raise NotFound(f"blob {digest} is not in the store", code="blob_not_found") from exc

    def read(self, digest: str) -> bytes:
        with self.open(digest) as fh:
            return fh.read()

    def local_path(self, digest: str) -> Path | None:
        """The file's path when the store is a local folder (no copy needed)."""
        if self.location.is_s3:
            return None
        path = Path(self.key(digest))
        return path if path.exists() else None

    def iter_digests(self) -> Iterator[str]:
        for path in self._call(self.fs.find, self.root):
            name = str(path).rsplit("/", 1)[-1]
            if _HEX.match(name):
                yield name

    def _upload(self, path: Path, digest: str) -> None:
        target = self.key(digest)
        if self.location.is_s3:
            self._call(self.fs.put_file, str(path), target)
            return
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=Path(target).parent, prefix=".tmp-")
        os.close(fd)
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(*args)
        except (FileNotFoundError, NotFound, InvalidInput):
            raise
        except OSError as exc:
            raise ExternalService(f"blob store {self.location.root} failed: {exc}") from exc
