"""The public surface is curated: sluice.__all__ is pinned, sorted and importable."""

import ast
from pathlib import Path

import sluice

SRC = Path(sluice.__file__).resolve().parent
FRONT_DOOR_LIBS = {"fastapi", "starlette", "jinja2", "typer", "rich", "click", "uvicorn"}

EXPECTED = [
    "AlreadyExists", "AppendResult", "Cancelled", "Client", "ColumnInfo", "Conflict",
    "DatasetInfo", "DatasetKind", "DiffResult", "ExternalService", "Forbidden", "InvalidInput",
    "JobInfo", "JobLog", "JobState", "NewToken", "NotFound", "PayloadTooLarge", "QualityReport",
    "QueryResult", "RowsPage", "SluiceError", "Timeout", "TokenInfo", "Unauthorized",
    "Unavailable", "VersionInfo", "__version__", "connect", "labeling_function",
]


def test_exported_members_are_pinned_and_sorted():
    assert sluice.__all__ == EXPECTED
    assert sluice.__all__ == sorted(sluice.__all__)
    for name in sluice.__all__:
        assert getattr(sluice, name) is not None


def test_core_does_not_import_front_door_frameworks():
    offenders = []
    for path in (SRC / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path}: {n}" for n in names if n.split(".")[0] in FRONT_DOOR_LIBS]
    assert offenders == []


def test_front_doors_do_not_open_storage_themselves():
    """API routers, web routes and CLI commands only call services."""
    banned = {"sqlalchemy", "lance", "duckdb", "fsspec"}
    offenders = []
    for folder in ("api/routers", "web/routes", "cli/commands"):
        for path in (SRC / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    mods = [a.name for a in node.names] if isinstance(node, ast.Import) \
                        else [node.module or ""]
                    offenders += [f"{path}: {m}" for m in mods if m.split(".")[0] in banned]
    assert offenders == []
