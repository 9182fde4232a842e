"""Areas: each capability of Sluice declared once, and every front door built from the list.

An :class:`Area` names, as ``"module:attribute"`` strings, everything one capability
brings: its service factory, the modules that register its job kinds, its API routers, web
routes and nav entries, its CLI commands, its SDK namespaces and its metadata tables. The
composition root and the doors loop over :func:`areas` instead of naming each capability,
so adding one is a package plus one declaration (see ``docs/areas.md``).

The references are strings so that reading the list imports nothing: a job worker imports
only the modules of the job it runs, and a broken plugin fails when its part is used, where
it is reported instead of stopping Sluice.

Areas come from three places, in this order: the built-in ones (:mod:`sluice.areas.builtin`),
installed packages that declare an entry point in the ``sluice.areas`` group (the way pytest
and datasette find plugins), and :func:`register` (an application embedding Sluice, tests).
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from typing import Any

from sluice.core.access.catalog import Permission
from sluice.errors import InvalidInput, NotFound

__all__ = ["Area", "NavEntry", "Permission", "SdkPart", "Subscriber"]

log = logging.getLogger("sluice.areas")
GROUP = "sluice.areas"
REGISTERED = "registered"  # the source of an area added with register()
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_REF = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?$")


@dataclass(frozen=True)
class NavEntry:
    """A link in the web UI's navigation bar. ``prefixes``: the paths that mark it current
    (default: ``href``); ``order``: its place, low first."""

    label: str
    href: str
    prefixes: tuple[str, ...] = ()
    order: int = 500

    @property
    def marks(self) -> tuple[str, ...]:
        return self.prefixes or (self.href,)


@dataclass(frozen=True)
class SdkPart:
    """A client namespace (``client.<attr>``): ``local`` and ``remote`` name classes that take
    the client (``LocalClient`` or ``RemoteClient``) and implement the same interface."""

    attr: str
    local: str
    remote: str


@dataclass(frozen=True)
class Subscriber:
    """An area's reader of the event log: ``handler`` (``"module:function"``) is called as
    ``fn(platform, event)`` for each event of ``kinds``, at least once, retried with backoff
    when it raises. Its cursor is stored as ``<area>.<name>``; ``prompt`` ones run right
    after each change, the others in the server's loop."""

    name: str
    kinds: tuple[str, ...]
    handler: str
    prompt: bool = False


@dataclass(frozen=True)
class Area:
    """One capability, declared once. Every reference is ``"module"`` or
    ``"module:attribute"``; a bare module means its ``router`` (api, web), ``register``
    (cli) or the module itself (jobs: importing it registers its handlers).

    - ``service``: a factory ``fn(platform) -> service``; ``platform.service(name)`` builds it
      once per process, on first use.
    - ``tables``: a SQLAlchemy ``MetaData`` whose tables are created (if missing) when the
      workspace is opened; the built-in tables live in ``storage/metadata/schema.py``, under
      Alembic.
    - ``templates``: a package whose ``templates/`` folder holds the area's pages.
    - ``subscribers``: its readers of the event log (:class:`Subscriber`).
    - ``permissions``: the permissions it defines (``sluice.core.access``); ``read`` and
      ``write`` name the ones its routes need by default (GET and HEAD: ``read``, other
      methods: ``write``) unless a route declares its own in its policy.
    """

    name: str
    summary: str
    service: str | None = None
    jobs: tuple[str, ...] = ()
    api: tuple[str, ...] = ()
    web: tuple[str, ...] = ()
    nav: tuple[NavEntry, ...] = ()
    cli: tuple[str, ...] = ()
    sdk: tuple[SdkPart, ...] = ()
    tables: str | None = None
    templates: str | None = None
    subscribers: tuple[Subscriber, ...] = ()
    permissions: tuple[Permission, ...] = ()
    read: str | None = None
    write: str | None = None
    source: str = field(default="builtin", compare=False)


@dataclass(frozen=True)
class AreaProblem:
    """An area, or part of one, that could not be loaded: Sluice runs without it."""

    area: str
    part: str
    error: str


def resolve(ref: str, default: str | None = None) -> Any:
    """The object ``ref`` names: ``"pkg.module:attr"``, or ``"pkg.module"`` (its ``default``
    attribute when given, else the module)."""
    module_name, _, attr = ref.partition(":")
    module = importlib.import_module(module_name)
    name = attr or default
    return getattr(module, name) if name else module


class _Registry:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._areas: dict[str, Area] | None = None
        self._problems: list[AreaProblem] = []
        self.generation = 0  # changes whenever the set of areas does

    def areas(self) -> dict[str, Area]:
        with self._lock:
            if self._areas is None:
                self._areas = {}
                from sluice.areas.builtin import BUILTIN

                for area in BUILTIN:
                    self._add(area)
                self._load_plugins()
            return self._areas

    def _load_plugins(self) -> None:
        for ep in entry_points(group=GROUP):
            source = f"plugin {ep.name} ({ep.value})"
            try:
                loaded = ep.load()
                found = list(loaded) if isinstance(loaded, list | tuple) else [loaded]
                for area in found:
                    self._add(_as_area(area, source))
            except Exception as exc:  # a broken plugin must not stop Sluice
                self.report(AreaProblem(ep.name, "load", describe(exc)))

    def _add(self, area: Area) -> None:
        assert self._areas is not None
        check(area)
        if area.name in self._areas:
            raise InvalidInput(f"two areas are named {area.name!r} ({area.source} and "
                               f"{self._areas[area.name].source}); rename one",
                               code="duplicate_area")
        self._areas[area.name] = area
        self.generation += 1

    def register(self, area: Area) -> None:
        with self._lock:
            self.areas()
            self._add(replace(area, source=REGISTERED) if area.source == "builtin" else area)

    def unregister(self, name: str) -> None:
        with self._lock:
            if self.areas().pop(name, None) is None:
                raise unknown(name)
            self.generation += 1
            self._problems = [p for p in self._problems if p.area != name]

    def report(self, problem: AreaProblem) -> None:
        with self._lock:
            if problem not in self._problems:
                log.warning("area %s: %s failed, running without it: %s",
                            problem.area, problem.part, problem.error)
                self._problems.append(problem)

    def problems(self) -> list[AreaProblem]:
        with self._lock:
            self.areas()
            return list(self._problems)


_REGISTRY = _Registry()


def areas() -> list[Area]:
    """Every area, built-in first, in declaration order."""
    return list(_REGISTRY.areas().values())


def generation() -> int:
    """A number that changes whenever an area is added or removed (for caches)."""
    _REGISTRY.areas()
    return _REGISTRY.generation


def get(name: str) -> Area:
    """One area by name. Raises NotFound (``unknown_area``)."""
    try:
        return _REGISTRY.areas()[name]
    except KeyError:
        raise unknown(name) from None


def problems() -> list[AreaProblem]:
    """The areas or parts that failed to load, each with why."""
    return _REGISTRY.problems()


def register(area: Area) -> None:
    """Add an area in this process (after the built-in and installed ones). Doors built
    afterwards include it: ``create_app``, ``connect``, the CLI's ``main``. Raises
    InvalidInput (``duplicate_area``, ``invalid_area``)."""
    _REGISTRY.register(area)


def unregister(name: str) -> None:
    _REGISTRY.unregister(name)


@contextmanager
def registered(area: Area) -> Iterator[Area]:
    """``register`` for the length of a ``with`` block."""
    register(area)
    try:
        yield area
    finally:
        unregister(area.name)


def parts(area: Area, kind: str, refs: Sequence[str], default: str | None) -> Iterator[Any]:
    """The objects ``refs`` name, skipping (and reporting) those that fail to import."""
    for ref in refs:
        try:
            yield resolve(ref, default)
        except Exception as exc:
            _REGISTRY.report(AreaProblem(area.name, f"{kind} {ref}", describe(exc)))


def report(area: str, part: str, exc: BaseException) -> None:
    """Record that ``part`` of ``area`` failed; it is shown on the areas page."""
    _REGISTRY.report(AreaProblem(area, part, describe(exc)))


def describe(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first[:300]}" if first else type(exc).__name__


def unknown(name: str) -> NotFound:
    return NotFound(f"no area is named {name!r}; `sluice areas` lists them",
                    code="unknown_area")


def check(area: Area) -> None:
    """Refuse a declaration that could not work (``invalid_area``), before anything uses it."""
    if not isinstance(area, Area):
        raise InvalidInput(f"{area!r} is not a sluice.areas.Area", code="invalid_area")
    problems = []
    if not _NAME.match(area.name):
        problems.append(f"name {area.name!r} must be lowercase letters, digits and _")
    refs = [*area.jobs, *area.api, *area.web, *area.cli, area.service, area.tables,
            area.templates, *(r for part in area.sdk for r in (part.local, part.remote)),
            *(sub.handler for sub in area.subscribers)]
    problems += [f"reference {r!r} is not 'module' or 'module:attr'"
                 for r in refs if r is not None and not _REF.match(r)]
    problems += [f"nav link {n.href!r} must be a path on this server"
                 for n in area.nav if not n.href.startswith("/") or n.href.startswith("//")]
    problems += [f"SDK namespace {p.attr!r} is not an identifier"
                 for p in area.sdk if not p.attr.isidentifier() or p.attr.startswith("_")]
    problems += [f"{p!r} is not a sluice.areas.Permission"
                 for p in area.permissions if not isinstance(p, Permission)]
    if problems:
        raise InvalidInput(f"area {area.name!r}: " + "; ".join(problems), code="invalid_area")


def _as_area(value: Any, source: str) -> Area:
    if not isinstance(value, Area):
        raise InvalidInput(f"{source} gave {type(value).__name__}, not an Area",
                           code="invalid_area")
    return replace(value, source=source)
