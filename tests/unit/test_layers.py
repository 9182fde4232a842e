"""The layering rules, checked: import-linter's contracts (pyproject.toml) and a look at
every front-door module for storage reached through the platform."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SRC = ROOT / "src" / "sluice"
DOORS = ("api", "web", "cli", "sdk")
STORES = {"db", "blobs", "tables"}
SESSIONS = {"session", "reader"}


def test_the_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a dev dependency (make dev-install)"
    run = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stdout[-4000:]
    assert "0 broken" in run.stdout


def storage_touches(source: str) -> list[str]:
    """``platform.db``/``.blobs``/``.tables`` reads and ``.session()``/``.reader()`` calls."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in STORES \
                and _names_platform(node.value):
            found.append(f"line {node.lineno}: platform.{node.attr}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in SESSIONS and not node.args:
            found.append(f"line {node.lineno}: .{node.func.attr}()")
    return found


def _names_platform(node: ast.expr) -> bool:
    """``platform``, ``self.platform``, ``self.p``, ``request.app.state.platform``..."""
    if isinstance(node, ast.Name):
        return node.id == "platform"
    return isinstance(node, ast.Attribute) and node.attr in ("platform", "p")


def test_the_check_sees_a_door_opening_a_session() -> None:
    bad = "def route(platform):\n    with platform.db.session() as s:\n        self.p.blobs\n"
    assert sorted(storage_touches(bad)) == ["line 2: .session()", "line 2: platform.db",
                                            "line 3: platform.blobs"]


def test_no_front_door_touches_storage() -> None:
    offenders = {}
    for door in DOORS:
        for path in sorted((SRC / door).rglob("*.py")):
            found = storage_touches(path.read_text(encoding="utf-8"))
            if found:
                offenders[str(path.relative_to(SRC))] = found
    assert offenders == {}, "doors call services; move this into one"
