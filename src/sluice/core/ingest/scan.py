"""Finding the files an ingest covers: walk folders with glob filters, describe each file."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sluice.errors import InvalidInput, NotFound

TABULAR = {".csv", ".tsv", ".jsonl", ".ndjson", ".parquet", ".xlsx", ".xls"}
SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", ".venv", "node_modules", ".sluice"}
MAX_FILES = 1_000_000


@dataclass
class FileEntry:
    """One file to ingest. ``path`` is readable here; ``digest`` names an uploaded blob."""

    uri: str
    root: str
    rel: str
    size: int
    mtime: float
    path: str | None = None
    digest: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileEntry:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]

    @property
    def extension(self) -> str:
        return os.path.splitext(self.rel)[1].lower()

    @property
    def modified_at(self) -> datetime:
        return datetime.fromtimestamp(self.mtime, UTC)


@dataclass
class Root:
    """A top-level input: a folder (its missing files count as deleted) or a file."""

    uri: str
    is_folder: bool


def file_uri(path: Path) -> str:
    return path.resolve().as_uri()


def scan_paths(
    paths: list[str], *, include: list[str] | None = None, exclude: list[str] | None = None,
    recursive: bool = True,
) -> tuple[list[Root], list[FileEntry]]:
    """Expand files and folders into file entries, sorted by URI.

    Raises:
        NotFound: a path that does not exist (code ``path_not_found``).
    """
    roots: list[Root] = []
    entries: list[FileEntry] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise NotFound(f"{raw} does not exist", code="path_not_found", details={"path": raw})
        if path.is_dir():
            root = Root(file_uri(path), True)
            entries.extend(_walk(path, root.uri, include, exclude, recursive))
        else:
            root = Root(file_uri(path), False)
            entries.append(_entry(path, root.uri, path.name))
        roots.append(root)
    unique = {e.uri: e for e in entries}
    if len(unique) > MAX_FILES:
        raise InvalidInput(f"more than {MAX_FILES} files; ingest sub-folders separately",
                           code="too_many_files")
    return roots, sorted(unique.values(), key=lambda e: e.uri)


def _walk(
    folder: Path, root_uri: str, include: list[str] | None, exclude: list[str] | None,
    recursive: bool,
) -> list[FileEntry]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and recursive)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink() or not path.is_file():
                continue
            if _selected(rel, include, exclude):
                found.append(_entry(path, root_uri, rel))
    return found


def _selected(rel: str, include: list[str] | None, exclude: list[str] | None) -> bool:
    name = rel.rsplit("/", 1)[-1]
    if include and not any(_match(rel, name, p) for p in include):
        return False
    return not (exclude and any(_match(rel, name, p) for p in exclude))


def _match(rel: str, name: str, pattern: str) -> bool:
    if "/" in pattern or "**" in pattern:
        return fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, pattern.replace("**/", ""))
    return fnmatch.fnmatch(name, pattern)


def _entry(path: Path, root_uri: str, rel: str) -> FileEntry:
    stat = path.stat()
    return FileEntry(uri=file_uri(path), root=root_uri, rel=rel, size=stat.st_size,
                     mtime=stat.st_mtime, path=str(path.resolve()))


def is_tabular(entry: FileEntry) -> bool:
    return entry.extension in TABULAR
