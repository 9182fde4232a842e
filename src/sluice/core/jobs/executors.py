"""Executors run queued jobs: threads in this process, or a pool of local processes.

An executor only receives job ids; the job row holds the kind and parameters and the
worker builds its own :class:`~sluice.platform.Platform` from settings. That is what
lets a Ray executor slot in later: a Ray task is one more place ``run_job`` can run.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Protocol

from sluice.core.jobs.models import JobState
from sluice.core.jobs.runner import run_job
from sluice.errors import SluiceError, Unavailable

if TYPE_CHECKING:
    from sluice.platform import Platform
    from sluice.settings import Settings

log = logging.getLogger("sluice.jobs")


class Executor(Protocol):
    def submit(self, job_id: str) -> None: ...
    def shutdown(self, wait: bool = True) -> None: ...


class ThreadExecutor:
    """Runs jobs on threads of the current process (tests, notebooks, the CLI)."""

    def __init__(self, platform: Platform, workers: int) -> None:
        self.platform = platform
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sluice-job")

    def submit(self, job_id: str) -> None:
        self.pool.submit(run_job, self.platform, job_id)

    def shutdown(self, wait: bool = True) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=not wait)


class ProcessExecutor:
    """Runs jobs in a pool of spawned worker processes.

    A worker that dies (killed, out of memory) breaks the pool: its running job is
    marked failed at once, jobs that had not started are queued again on a new pool.
    """

    def __init__(self, platform: Platform, workers: int) -> None:
        self.platform = platform
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, job_id: str) -> None:
        pool = self._ensure_pool()
        try:
            future = pool.submit(_run_in_worker, job_id)
        except BrokenProcessPool:
            self._discard(pool)
            future = self._ensure_pool().submit(_run_in_worker, job_id)
        future.add_done_callback(lambda f: self._done(pool, job_id, f))

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=not wait)

    def _ensure_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker,
                    initargs=(self.platform.settings,),
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None

    def _done(self, pool: ProcessPoolExecutor, job_id: str, future: Future[str]) -> None:
        exc = future.exception()
        if exc is None:
            return
        if isinstance(exc, BrokenProcessPool):
            self._discard(pool)
            err = Unavailable(
                "the worker process running this job died (killed or out of memory); "
                "the dataset was left at its last good version: run the job again",
                code="worker_died",
            )
            if self.platform.jobs.requeue_or_fail(job_id, err.to_payload()["error"]) == "queued":
                self.submit(job_id)
            return
        log.error("job %s failed in its worker: %r", job_id, exc)
        err2 = SluiceError(f"worker error: {exc!r}")
        self.platform.jobs.finish(job_id, JobState.FAILED, err2.message,
                                  error=err2.to_payload()["error"])


_WORKER_PLATFORM: Platform | None = None


def _init_worker(settings: Settings) -> None:
    global _WORKER_PLATFORM
    from sluice.platform import Platform

    _WORKER_PLATFORM = Platform.open(settings.model_copy(update={"executor": "thread"}),
                                     migrate=False)


def _run_in_worker(job_id: str) -> str:
    assert _WORKER_PLATFORM is not None, "worker not initialised"
    return run_job(_WORKER_PLATFORM, job_id)


def make_executor(platform: Platform) -> Executor:
    settings = platform.settings
    kind = settings.executor
    if kind == "auto":
        kind = "process" if platform.server else "thread"
    if kind == "process":
        return ProcessExecutor(platform, settings.workers)
    return ThreadExecutor(platform, settings.workers)
