"""Job kinds: each long task registers a handler under a name.

A handler is ``fn(services, job, params) -> dict`` where ``job`` is a
:class:`~sluice.core.jobs.context.JobContext` and ``services`` the worker's composition
root; each handler module says which of its services it uses with a ``Protocol`` (core
never imports the composition root itself). Executors only know names, so a job runs the
same in a thread, a local process or (later) on a Ray worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sluice.errors import InvalidInput

if TYPE_CHECKING:
    from sluice.core.jobs.context import JobContext

# The first argument is any object with the services the handler's ``Uses`` names.
Handler = Callable[[Any, "JobContext", dict[str, Any]], dict[str, Any]]
_HANDLERS: dict[str, Handler] = {}
_LONG_RUNNING: set[str] = set()
_PERMISSIONS: dict[str, str] = {}
_RESOURCES: dict[str, dict[str, float]] = {}
DEFAULT_PERMISSION = "datasets.write"
DEFAULT_RESOURCES = {"cpus": 1.0}


def job_handler(kind: str, *, long_running: bool = False,
                permission: str = DEFAULT_PERMISSION,
                resources: dict[str, float] | None = None) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of job kind ``kind``; starting one needs
    ``permission`` in the project. ``long_running`` kinds (stream consumers) run in their
    own pool, so they never hold the slots other jobs need. ``resources`` (``cpus``,
    ``gpus``) is what one job asks of a Ray cluster: a job that only coordinates tasks of
    its own asks for no CPU, and ``gpus`` is asked for only where the cluster has one."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        _PERMISSIONS[kind] = permission
        _RESOURCES[kind] = dict(resources if resources is not None else DEFAULT_RESOURCES)
        if long_running:
            _LONG_RUNNING.add(kind)
        return fn

    return register


def resources_of(kind: str) -> dict[str, float]:
    get_handler(kind)
    return dict(_RESOURCES[kind])


def permission_of(kind: str) -> str:
    """The permission starting a job of ``kind`` needs (``unknown_job_kind`` if none)."""
    get_handler(kind)
    return _PERMISSIONS[kind]


def is_long_running(kind: str) -> bool:
    _load(kind)
    return kind in _LONG_RUNNING


def get_handler(kind: str) -> Handler:
    _load(kind)
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise InvalidInput(f"unknown job kind {kind!r}", code="unknown_job_kind") from None


def known_kinds() -> list[str]:
    _load(None)
    return sorted(_HANDLERS)


def kinds_from(modules: list[str]) -> list[str]:
    """The job kinds whose handlers the named modules define."""
    return sorted(k for k, fn in _HANDLERS.items() if fn.__module__ in modules)


def _load(kind: str | None) -> None:
    """Import the job modules the areas declare (importing one registers its handlers),
    unless ``kind`` is known already. A module that fails is reported, not raised."""
    if kind is not None and kind in _HANDLERS:
        return
    from sluice import areas

    for area in areas.areas():
        for _module in areas.parts(area, "jobs", area.jobs, None):
            pass
