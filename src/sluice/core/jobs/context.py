"""What a running job sees: progress, logs, cancellation, and its heartbeat."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sluice.core.context import Ctx
from sluice.errors import Cancelled

if TYPE_CHECKING:
    from sluice.core.jobs.service import JobService

_PROGRESS_EVERY = 0.25
_CANCEL_EVERY = 0.5


class JobContext:
    """Handed to a job handler. Thread-safe."""

    def __init__(self, jobs: JobService, job_id: str, ctx: Ctx, heartbeat_seconds: float,
                 secrets: dict[str, Any] | None = None) -> None:
        self.jobs = jobs
        self.id = job_id
        self.ctx = ctx
        self.secrets = dict(secrets or {})  # credentials the submitter kept out of params
        self._every = heartbeat_seconds
        self._cancelled = threading.Event()
        self._stop = threading.Event()
        self._last_progress = 0.0
        self._last_cancel_check = 0.0

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        """Report progress; writes are throttled, the final one always lands."""
        now = time.monotonic()
        final = total is not None and done >= total
        if final or now - self._last_progress >= _PROGRESS_EVERY:
            self._last_progress = now
            self.jobs.progress(self.id, done, total, message)

    def log(self, message: str, level: str = "INFO") -> None:
        self.jobs.log(self.id, level, message)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check_cancelled(self, *, force: bool = False) -> None:
        """Raise :class:`Cancelled` when someone asked this job to stop. Reads the job row
        at most every half second (besides the heartbeat), or now with ``force``."""
        now = time.monotonic()
        due = force or now - self._last_cancel_check >= _CANCEL_EVERY
        if not self._cancelled.is_set() and due:
            self._last_cancel_check = now
            if self.jobs.cancel_requested(self.id):
                self._cancelled.set()
        if self._cancelled.is_set():
            raise Cancelled(f"job {self.id} was cancelled", code="job_cancelled")

    def wait(self, seconds: float) -> None:
        """Sleep, waking early on cancellation."""
        self._cancelled.wait(seconds)

    @contextmanager
    def heartbeat(self) -> Iterator[None]:
        """Beat in a background thread while the handler runs."""
        thread = threading.Thread(target=self._beat, name=f"heartbeat-{self.id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(self._every):
            try:
                if self.jobs.heartbeat(self.id):
                    self._cancelled.set()
            except Exception:  # a missed beat is retried on the next tick
                continue
