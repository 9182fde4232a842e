"""Polling a job until it finishes: shared by the local service and the REST client."""

from __future__ import annotations

import time
from collections.abc import Callable

from sluice.core.jobs.models import JobInfo
from sluice.errors import Timeout


def poll_until_finished(
    get: Callable[[], JobInfo], *, timeout: float | None = None,
    on_update: Callable[[JobInfo], None] | None = None, poll: float = 0.2,
) -> JobInfo:
    """Call ``get`` every ``poll`` seconds until the job finishes.

    Raises:
        Timeout: still unfinished after ``timeout`` seconds (``job_wait_timeout``).
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        info = get()
        if on_update:
            on_update(info)
        if info.state.finished:
            return info
        if deadline is not None and time.monotonic() > deadline:
            raise Timeout(f"job {info.id} still {info.state} after {timeout}s",
                          code="job_wait_timeout")
        time.sleep(poll)
