"""Job kinds: each long task registers a handler under a name.

A handler is ``fn(platform, job, params) -> dict`` where ``job`` is a
:class:`~sluice.core.jobs.context.JobContext`. Executors only know names, so a job runs the
same in a thread, a local process or (later) on a Ray worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sluice.errors import InvalidInput

if TYPE_CHECKING:
    from sluice.core.jobs.context import JobContext
    from sluice.platform import Platform

Handler = Callable[["Platform", "JobContext", dict[str, Any]], dict[str, Any]]
_HANDLERS: dict[str, Handler] = {}
_LONG_RUNNING: set[str] = set()


def job_handler(kind: str, *, long_running: bool = False) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of job kind ``kind``. ``long_running`` kinds (stream
    consumers) run in their own pool, so they never hold the slots other jobs need."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        if long_running:
            _LONG_RUNNING.add(kind)
        return fn

    return register


def is_long_running(kind: str) -> bool:
    _load_builtin_handlers()
    return kind in _LONG_RUNNING


def get_handler(kind: str) -> Handler:
    _load_builtin_handlers()
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise InvalidInput(f"unknown job kind {kind!r}", code="unknown_job_kind") from None


def known_kinds() -> list[str]:
    _load_builtin_handlers()
    return sorted(_HANDLERS)


def _load_builtin_handlers() -> None:
    # Importing the modules registers their handlers.
    import sluice.core.ingest.jobs
    import sluice.core.labels.apply
    import sluice.core.labels.jobs
    import sluice.core.labels.zeroshot
    import sluice.core.quality.jobs
    import sluice.core.search.jobs
    import sluice.core.streams.jobs  # noqa: F401
