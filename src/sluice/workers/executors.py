"""Executors run queued jobs: threads in this process, or pools of local processes.

An executor only receives job ids; the job row holds the kind and parameters and the
worker builds its own :class:`~sluice.platform.Platform` from settings. That is what
lets a Ray executor slot in later: a Ray task is one more place ``run_job`` can run.

Long-running kinds (stream consumers, which run until cancelled) get a pool of their own
(``stream_workers``), so they never hold the slots that ingest, view syncs or redactions
need.
"""

from __future__ import annotations

import logging
import multiprocessing
import socket
import threading
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from sluice.core.jobs.executor import Executor
from sluice.core.jobs.models import JobState
from sluice.errors import SluiceError, Unavailable
from sluice.workers.runner import run_job, worker_name

if TYPE_CHECKING:
    from sluice.platform import Platform
    from sluice.settings import Settings

log = logging.getLogger("sluice.jobs")
JOBS, LONG = "jobs", "long"


class ThreadExecutor:
    """Runs jobs on threads of the current process (tests, notebooks, the CLI)."""

    def __init__(self, platform: Platform, workers: int, long_workers: int) -> None:
        self.platform = platform
        self.pools = {JOBS: ThreadPoolExecutor(max_workers=workers,
                                               thread_name_prefix="sluice-job"),
                      LONG: ThreadPoolExecutor(max_workers=long_workers,
                                               thread_name_prefix="sluice-stream")}

    def submit(self, job_id: str, *, long_running: bool = False) -> None:
        self.pools[LONG if long_running else JOBS].submit(run_job, self.platform, job_id)

    def shutdown(self, wait: bool = True) -> None:
        for pool in self.pools.values():
            pool.shutdown(wait=wait, cancel_futures=not wait)

    def kill(self) -> None:
        """Threads cannot be killed; their jobs stop at their next cancellation check."""
        self.shutdown(wait=False)
        self.pools.clear()

    def worker_names(self) -> set[str]:
        return {worker_name()}


class _ProcessPool:
    """One process pool, replaced when a worker dies."""

    def __init__(self, settings: Settings, workers: int) -> None:
        self.settings = settings
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.lock = threading.Lock()

    def current(self) -> ProcessPoolExecutor:
        with self.lock:
            if self.pool is None:
                self.pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker, initargs=(self.settings,))
            return self.pool

    def discard(self, pool: ProcessPoolExecutor) -> None:
        with self.lock:
            if self.pool is pool:
                self.pool = None

    def take(self) -> ProcessPoolExecutor | None:
        with self.lock:
            pool, self.pool = self.pool, None
        return pool


class ProcessExecutor:
    """Runs jobs in pools of spawned worker processes.

    A worker that dies (killed, out of memory) breaks its pool: its running job is
    marked failed at once, jobs that had not started are queued again on a new pool.
    """

    def __init__(self, platform: Platform, workers: int, long_workers: int) -> None:
        self.platform = platform
        self.pools = {JOBS: _ProcessPool(platform.settings, workers),
                      LONG: _ProcessPool(platform.settings, long_workers)}
        self.stopping = False  # set by kill(): nothing is resubmitted any more

    def submit(self, job_id: str, *, long_running: bool = False) -> None:
        holder = self.pools[LONG if long_running else JOBS]
        pool = holder.current()
        try:
            future = pool.submit(_run_in_worker, job_id)
        except BrokenProcessPool:
            holder.discard(pool)
            pool = holder.current()
            future = pool.submit(_run_in_worker, job_id)
        future.add_done_callback(lambda f: self._done(holder, pool, job_id, long_running, f))

    def shutdown(self, wait: bool = True) -> None:
        for holder in self.pools.values():
            pool = holder.take()
            if pool is not None:
                pool.shutdown(wait=wait, cancel_futures=not wait)

    def kill(self) -> None:
        """Stop every worker process now (server shutdown, after the grace period)."""
        self.stopping = True
        for holder in self.pools.values():
            pool = holder.take()
            if pool is None:
                continue
            for process in list(getattr(pool, "_processes", {}).values()):
                if process.is_alive():
                    process.kill()
            pool.shutdown(wait=False, cancel_futures=True)

    def worker_names(self) -> set[str]:
        host = socket.gethostname()
        names = set()
        for holder in self.pools.values():
            pool = holder.pool
            for pid in list(getattr(pool, "_processes", {}) or {}):
                names.add(f"{host}:{pid}")
        return names

    def _done(self, holder: _ProcessPool, pool: ProcessPoolExecutor, job_id: str,
              long_running: bool, future: Future[str]) -> None:
        if future.cancelled() or self.stopping:
            return  # queued jobs stay queued: the next start resumes them
        exc = future.exception()
        if exc is None:
            return
        if isinstance(exc, BrokenProcessPool):
            holder.discard(pool)
            err = Unavailable(
                "the worker process running this job died (killed or out of memory); "
                "the dataset was left at its last good version: run the job again",
                code="worker_died",
            )
            if self.platform.jobs.requeue_or_fail(job_id, err.to_payload()["error"]) == "queued":
                self.submit(job_id, long_running=long_running)
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


class RayExecutor:
    """Runs each job as a Ray task (on a local Ray started for us, or the cluster at
    ``ray_address``) with the CPUs and GPUs its kind asks for; the task opens its own
    platform from the same settings. A task whose worker dies fails its job
    (``worker_died``); cancelling is the job's own check, and ``kill`` cancels the tasks
    by force."""

    def __init__(self, platform: Platform) -> None:
        from sluice.core.jobs.ray import connect

        self.platform = platform
        self.ray = connect(platform.settings)
        update: dict[str, Any] = {"executor": "thread"}
        if platform.settings.train_trials == "auto":
            update["train_trials"] = "ray"  # the job's trials are Ray tasks too
        self.settings = platform.settings.model_copy(update=update)
        self.task = self.ray.remote(_run_job_on_ray)
        self.running: dict[str, Any] = {}
        self.lock = threading.Lock()
        self.stopping = False

    def submit(self, job_id: str, *, long_running: bool = False) -> None:
        from sluice.core.jobs.ray import gpus
        from sluice.core.jobs.registry import resources_of

        asked = resources_of(self.platform.jobs.kind_of(job_id) or "")
        options: dict[str, Any] = {"num_cpus": asked.get("cpus", 1.0), "max_retries": 0}
        if asked.get("gpus") and self.settings.device != "cpu" and gpus(self.ray):
            options["num_gpus"] = asked["gpus"]
        ref = self.task.options(**options).remote(self.settings, job_id)
        with self.lock:
            self.running[job_id] = ref
        ref.future().add_done_callback(lambda f: self._done(job_id, f))

    def shutdown(self, wait: bool = True) -> None:
        with self.lock:
            refs = list(self.running.values())
        if wait and refs:
            self.ray.wait(refs, num_returns=len(refs))
        elif refs:
            self.kill()
        from sluice.core.jobs.ray import disconnect

        disconnect()

    def kill(self) -> None:
        self.stopping = True
        with self.lock:
            refs, self.running = list(self.running.values()), {}
        for ref in refs:
            self.ray.cancel(ref, force=True)

    def worker_names(self) -> set[str]:
        with self.lock:
            ids = list(self.running)
        return {name for name in map(self.platform.jobs.worker_of, ids) if name}

    def _done(self, job_id: str, future: Future[str]) -> None:
        with self.lock:
            self.running.pop(job_id, None)
        if self.stopping:
            return  # the platform is stopping: it marks what was still running
        try:
            future.result()
        except Exception as exc:
            if type(exc).__name__ in RAY_WORKER_DIED:
                err = Unavailable(
                    "the Ray worker running this job died (killed or out of memory); the "
                    "dataset was left at its last good version: run the job again",
                    code="worker_died")
                if self.platform.jobs.requeue_or_fail(job_id,
                                                      err.to_payload()["error"]) == "queued":
                    self.submit(job_id)
                return
            log.error("job %s failed on Ray: %r", job_id, exc)
            err2 = SluiceError(f"Ray error: {type(exc).__name__}: {str(exc)[:300]}")
            self.platform.jobs.finish(job_id, JobState.FAILED, err2.message,
                                      error=err2.to_payload()["error"])


RAY_WORKER_DIED = ("WorkerCrashedError", "OutOfMemoryError", "NodeDiedError",
                   "TaskCancelledError")
_RAY_PLATFORM: Platform | None = None


def _run_job_on_ray(settings: Settings, job_id: str) -> str:
    """A job in a Ray worker: the worker keeps one platform for the settings it was given."""
    global _RAY_PLATFORM
    from sluice.platform import Platform

    if _RAY_PLATFORM is None or _RAY_PLATFORM.settings != settings:
        _RAY_PLATFORM = Platform.open(settings, migrate=False)
    return run_job(_RAY_PLATFORM, job_id)


def make_executor(platform: Platform) -> Executor:
    settings = platform.settings
    kind = settings.executor
    if kind == "auto":
        kind = "process" if platform.server else "thread"
    if kind == "ray":
        return RayExecutor(platform)
    if kind == "process":
        return ProcessExecutor(platform, settings.workers, settings.stream_workers)
    return ThreadExecutor(platform, settings.workers, settings.stream_workers)
