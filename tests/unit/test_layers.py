"""The layering rules, checked: import-linter's contracts (pyproject.toml), a look at every
front-door module for storage reached through the platform, and the areas' public modules
(``sluice.core.public``) that the doors import core through."""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sluice.core.public import declared_exports
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


def public_modules() -> list[Path]:
    return sorted(p for p in (SRC / "core").glob("*/__init__.py")
                  if declared_exports(p.read_text(encoding="utf-8")))


def test_every_public_name_loads_and_no_module_shadows_one() -> None:
    """Each name an area's public module declares imports, and is the declared object even
    after every module of the area has been imported (a submodule of the same name would
    replace it on the package)."""
    assert len(public_modules()) >= 15
    for init in public_modules():
        package = "sluice.core." + init.parent.name
        declared = declared_exports(init.read_text(encoding="utf-8"))
        modules = {p.stem for p in init.parent.iterdir() if p.suffix == ".py" or p.is_dir()}
        assert not modules & set(declared), f"{package}: a public name is also a module"
        area = importlib.import_module(package)
        assert sorted(dir(area)) == sorted(declared)
        for name, (module, original) in declared.items():
            assert getattr(area, name) is getattr(importlib.import_module(module), original)


def test_a_public_module_refuses_an_unknown_name() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        importlib.import_module("sluice.core.tracking").Nope  # noqa: B018


def test_importing_one_module_of_an_area_loads_none_of_the_rest() -> None:
    code = ("import sys, sluice.core.tracking.models as m, sluice.core.tracking as t; "
            "print(sorted(k for k in sys.modules if k.startswith('sluice.core.tracking.')))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert run.stdout.strip() == "['sluice.core.tracking.models']"
