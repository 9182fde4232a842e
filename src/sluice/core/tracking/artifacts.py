"""Artifacts: files of runs and logged models, stored as content-addressed blobs.

An artifact's path is ``<experiment>/<run>/artifacts/<relative>`` or
``<experiment>/models/<model>/artifacts/<relative>``, the layout the MLflow artifact proxy
uses. Every path is checked before it touches a store: ``..``, absolute paths, drive
letters, backslashes, control characters and percent-encoded forms of these are refused
(the class of MLflow's path-traversal CVEs).
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import unquote

from sqlalchemy import select

from sluice.core.context import Ctx
from sluice.core.tracking.experiments import now_ms
from sluice.core.tracking.models import ArtifactEntry
from sluice.errors import InvalidInput, NotFound
from sluice.storage.metadata.schema import ArtifactRow, ExperimentRow, LoggedModelRow, RunRow

if TYPE_CHECKING:
    from sluice.core.audit.service import AuditLog
    from sluice.storage.blobs import FsspecBlobStore
    from sluice.storage.metadata.database import Database

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_relpath(raw: str, *, allow_empty: bool = False) -> str:
    """``raw`` as a clean relative path, or InvalidInput when it could escape its root."""
    text = raw or ""
    decoded = text
    for _ in range(3):  # catch %2e%2e and double-encoded %252e%252e alike
        decoded = unquote(decoded)
    for candidate in {text, decoded}:
        _check(candidate, raw, allow_empty)
    return text.strip("/") if allow_empty else text


def _check(path: str, raw: str, allow_empty: bool) -> None:
    problem = None
    if "\\" in path:
        problem = "backslashes (Windows separators) are not allowed"
    elif _CONTROL.search(path):
        problem = "control characters are not allowed"
    elif path.startswith("/") or path.startswith("~") or _DRIVE.match(path):
        problem = "absolute paths are not allowed"
    elif not path.strip("/") and not allow_empty:
        problem = "the path is empty"
    else:
        parts = path.strip("/").split("/") if allow_empty else path.split("/")
        if path.strip("/") and any(p in ("", ".", "..") for p in parts):
            problem = "'.', '..' and empty path segments are not allowed"
    if problem:
        raise InvalidInput(f"artifact path {raw!r} refused: {problem}",
                           code="invalid_artifact_path", details={"path": raw})


def join(root: str, relative: str) -> str:
    relative = safe_relpath(relative, allow_empty=True)
    return f"{root}/{relative}" if relative else root


class Artifacts:
    """A run's files (written like its metrics, so not audited one by one) and a logged
    model's; deleting files is in the audit log, since a model version may be built on them."""

    def __init__(self, db: Database, blobs: FsspecBlobStore, audit: AuditLog) -> None:
        self.db = db
        self.blobs = blobs
        self.audit = audit

    def put_file(self, ctx: Ctx, path: str, local: Path) -> ArtifactEntry:
        """Store ``local`` under ``path`` (replacing an earlier file there)."""
        ctx.require("runs.write", "write artifacts")
        path = safe_relpath(path)
        experiment_id = self.owner(ctx, path)
        if local.is_symlink():
            raise InvalidInput(f"{local} is a symbolic link; artifacts are copied from "
                               "regular files only", code="invalid_artifact_path")
        digest, size = self.blobs.put_file(local)
        with self.db.session() as s:
            s.merge(ArtifactRow(path=path, experiment_id=experiment_id, digest=digest,
                                size=size, created_ms=now_ms()))
        return ArtifactEntry(path=path, is_dir=False, size=size)

    def delete(self, ctx: Ctx, path: str) -> int:
        """Forget the file at ``path``, or every file under it; returns how many."""
        ctx.require("runs.write", "delete artifacts")
        path = safe_relpath(path).rstrip("/")
        self.owner(ctx, path)
        with self.db.session() as s:
            rows = list(s.scalars(select(ArtifactRow).where(
                (ArtifactRow.path == path)
                | ((ArtifactRow.path >= path + "/") & (ArtifactRow.path < path + "0")))))
            for row in rows:
                s.delete(row)
        if rows:
            self.audit.record(ctx, "artifact.delete", f"artifact:{path}", files=len(rows))
        return len(rows)

    def stat(self, ctx: Ctx, path: str) -> tuple[str, int]:
        """The digest and size of the file at ``path``."""
        path = safe_relpath(path)
        self.owner(ctx, path)
        with self.db.reader() as s:
            row = s.get(ArtifactRow, path)
            if row is None:
                raise NotFound(f"no artifact file at {path!r}", code="artifact_not_found",
                               details={"path": path})
            return row.digest, row.size

    def open(self, ctx: Ctx, path: str) -> IO[bytes]:
        digest, _ = self.stat(ctx, path)
        return self.blobs.open(digest)

    def local_path(self, ctx: Ctx, path: str) -> tuple[Path | None, str, int]:
        digest, size = self.stat(ctx, path)
        return self.blobs.local_path(digest), digest, size

    def list(self, ctx: Ctx, path: str) -> list[ArtifactEntry] | None:
        """The files and folders directly under ``path``; None when ``path`` is a file."""
        path = safe_relpath(path).rstrip("/")
        self.owner(ctx, path)
        prefix = path + "/"
        with self.db.reader() as s:
            if s.get(ArtifactRow, path) is not None:
                return None
            rows = s.execute(select(ArtifactRow.path, ArtifactRow.size).where(
                ArtifactRow.path >= prefix, ArtifactRow.path < path + "0")).all()
        return _children(prefix, rows)

    def files(self, ctx: Ctx, root: str) -> builtins.list[ArtifactEntry]:
        """Every file under ``root`` (recursively), paths relative to ``root``."""
        root = safe_relpath(root).rstrip("/")
        self.owner(ctx, root)
        with self.db.reader() as s:
            rows = s.execute(select(ArtifactRow.path, ArtifactRow.size).where(
                ArtifactRow.path >= root + "/", ArtifactRow.path < root + "0")
                .order_by(ArtifactRow.path)).all()
        return [ArtifactEntry(path=p[len(root) + 1:], is_dir=False, size=n) for p, n in rows]

    def owner(self, ctx: Ctx, path: str) -> int:
        parts = path.split("/")
        if len(parts) < 3 or not parts[0].isdigit():
            raise InvalidInput(f"artifact path {path!r} must start with "
                               "<experiment>/<run>/artifacts or <experiment>/models/<id>/"
                               "artifacts", code="invalid_artifact_path")
        experiment_id = int(parts[0])
        is_model = parts[1] == "models"
        owner, marker = (parts[2], parts[3:4]) if is_model else (parts[1], parts[2:3])
        if marker != ["artifacts"]:
            raise InvalidInput(f"artifact path {path!r} lacks the 'artifacts' folder",
                               code="invalid_artifact_path")
        table = LoggedModelRow if is_model else RunRow
        with self.db.reader() as s:
            found = s.execute(select(ExperimentRow.project_id).select_from(table)
                              .join(ExperimentRow)
                              .where(table.id == owner,
                                     table.experiment_id == experiment_id)).first()
        if found is None or found[0] != ctx.project_id:
            what = "logged model" if is_model else "run"
            raise NotFound(f"no {what} {owner!r} in experiment {experiment_id}",
                           code=f"{'model' if is_model else 'run'}_not_found")
        return experiment_id


def _children(prefix: str, rows: Sequence[Any]) -> list[ArtifactEntry]:
    files: dict[str, int] = {}
    dirs: set[str] = set()
    for full, size in rows:
        rest = full[len(prefix):]
        head, sep, _ = rest.partition("/")
        if sep:
            dirs.add(head)
        else:
            files[head] = size
    entries = [ArtifactEntry(path=d, is_dir=True) for d in sorted(dirs)]
    entries += [ArtifactEntry(path=f, is_dir=False, size=n) for f, n in sorted(files.items())]
    return entries
