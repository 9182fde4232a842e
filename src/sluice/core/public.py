"""An area's public module: the names its front doors may use, loaded when first used.

Each area package (``sluice.core.<area>``) is its own public module. Its ``__init__.py``
lists the public names once, as explicit re-exports under ``TYPE_CHECKING``::

    from typing import TYPE_CHECKING

    from sluice.core.public import lazy_exports

    if TYPE_CHECKING:
        from sluice.core.tracking.compare import RunComparison as RunComparison

    __getattr__, __dir__ = lazy_exports(__name__, __file__)

Type checkers and readers see ordinary imports. At run time a name is imported from its
module the first time someone asks for it, so importing one module of an area does not load
the rest of it (a job worker stays small) and areas that use each other cannot form import
cycles through their packages. A public name must not be the name of one of the area's
modules: importing that module would put the module in its place (a test checks). An import
contract (``pyproject.toml``) keeps the front doors from reaching past these modules.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

Getattr = Callable[[str], object]
Dir = Callable[[], list[str]]


def lazy_exports(package: str, init_file: str) -> tuple[Getattr, Dir]:
    """The ``__getattr__`` and ``__dir__`` of an area's public module (PEP 562)."""
    where = declared_exports(Path(init_file).read_text(encoding="utf-8"))

    def __getattr__(name: str) -> object:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, original = where[name]
        value = getattr(importlib.import_module(module), original)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(where)

    return __getattr__, __dir__


def declared_exports(source: str) -> dict[str, tuple[str, str]]:
    """Public name -> (module, name there), read from the ``if TYPE_CHECKING:`` block."""
    where: dict[str, tuple[str, str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module:
                    for alias in stmt.names:
                        where[alias.asname or alias.name] = (stmt.module, alias.name)
    return where


def _is_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
