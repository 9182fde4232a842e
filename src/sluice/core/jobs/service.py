"""Jobs: every long task is a row with state, progress, logs and a result.

States move ``queued -> running -> succeeded | failed | cancelled``. A running job
writes a heartbeat; :meth:`JobService.reap` fails jobs whose heartbeat went silent (the
worker was killed), so no job stays "running" forever.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sluice.core.context import Ctx
from sluice.core.events.log import emit_for
from sluice.core.events.models import JobFinished
from sluice.core.jobs.models import JobInfo, JobLog, JobState
from sluice.core.jobs.registry import is_long_running, permission_of
from sluice.core.jobs.waiting import poll_until_finished
from sluice.errors import InvalidInput, NotFound, Unavailable
from sluice.ids import new_id, utcnow
from sluice.storage.metadata.database import Database
from sluice.storage.metadata.schema import JobLogRow, JobRow

if TYPE_CHECKING:
    from sluice.core.audit.service import AuditLog
    from sluice.core.jobs.executor import Executor

_FINISHED = [s.value for s in JobState if s.finished]


class JobService:
    def __init__(
        self, db: Database, executor: Callable[[], Executor], audit: AuditLog, *,
        stale_seconds: float,
    ) -> None:
        self.db = db
        self._executor = executor
        self.audit = audit
        self.stale = timedelta(seconds=stale_seconds)

    # -- callers -------------------------------------------------------------------

    def submit(self, ctx: Ctx, kind: str, params: dict[str, Any], *,
               secrets: dict[str, Any] | None = None) -> JobInfo:
        """Queue a job of ``kind`` and hand it to the executor. ``secrets`` (credentials)
        reach the handler but are never listed, shown or logged."""
        ctx.require(permission_of(kind), f"start {kind} jobs")  # unknown kinds fail here
        row = JobRow(
            id=new_id(), project_id=ctx.project_id, kind=kind, params=params,
            state=JobState.QUEUED, created_at=utcnow(), created_by=ctx.actor.name,
            message="queued", secrets=secrets or None,
        )
        with self.db.session() as s:
            s.add(row)
        self._executor().submit(row.id, long_running=is_long_running(kind))
        return _info(row)

    def active(self, kind: str) -> int:
        """How many jobs of ``kind`` are queued or running, in every project."""
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(JobRow).where(
                JobRow.kind == kind,
                JobRow.state.in_([JobState.QUEUED, JobState.RUNNING]))) or 0)

    def get(self, ctx: Ctx, job_id: str) -> JobInfo:
        self.reap()
        with self.db.session() as s:
            return _info(self._row(s, ctx, job_id))

    def list(
        self, ctx: Ctx, *, state: JobState | None = None, kind: str | None = None,
        limit: int = 50,
    ) -> builtins.list[JobInfo]:
        self.reap()
        q = select(JobRow).where(JobRow.project_id == ctx.project_id)
        if state:
            q = q.where(JobRow.state == state)
        if kind:
            q = q.where(JobRow.kind == kind)
        with self.db.session() as s:
            rows = s.scalars(q.order_by(JobRow.id.desc()).limit(max(1, min(limit, 1000))))
            return [_info(r) for r in rows]

    def logs(self, ctx: Ctx, job_id: str, *, after: int = 0,
             limit: int = 1000) -> builtins.list[JobLog]:
        with self.db.session() as s:
            self._row(s, ctx, job_id)
            rows = s.scalars(
                select(JobLogRow).where(JobLogRow.job_id == job_id, JobLogRow.id > after)
                .order_by(JobLogRow.id).limit(limit)
            )
            return [JobLog(id=r.id, at=r.at, level=r.level, message=r.message) for r in rows]

    def cancel(self, ctx: Ctx, job_id: str) -> JobInfo:
        """Ask a job to stop; a queued job is cancelled at once."""
        ctx.require("jobs.cancel", "cancel jobs")
        with self.db.session() as s:
            row = self._row(s, ctx, job_id)
            asked = not JobState(row.state).finished
            if asked:
                row.cancel_requested = True
                if row.state == JobState.QUEUED:
                    _finish(s, row, JobState.CANCELLED, "cancelled before it started")
            info = _info(row)
        if asked:
            self.audit.record(ctx, "job.cancel", f"job:{job_id}", kind=info.kind,
                              started_by=info.created_by)
        return info

    def wait(
        self, ctx: Ctx, job_id: str, *, timeout: float | None = None,
        on_update: Callable[[JobInfo], None] | None = None, poll: float = 0.2,
    ) -> JobInfo:
        """Block until the job finishes; ``on_update`` sees each poll."""
        return poll_until_finished(lambda: self.get(ctx, job_id), timeout=timeout,
                                   on_update=on_update, poll=poll)

    # -- workers -------------------------------------------------------------------

    def start(self, job_id: str, worker: str) -> JobRow | None:
        """Claim a queued job for ``worker``; None when it is gone or not queued."""
        now = utcnow()
        with self.db.session() as s:
            claimed = s.execute(  # type: ignore[attr-defined]
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.state == JobState.QUEUED)
                .values(state=JobState.RUNNING, started_at=now, heartbeat_at=now,
                        worker=worker, attempts=JobRow.attempts + 1, message="running")
            ).rowcount
            return s.get(JobRow, job_id) if claimed else None

    def heartbeat(self, job_id: str) -> bool:
        """Record that the job is alive; returns whether cancellation was asked."""
        with self.db.session() as s:
            s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.state == JobState.RUNNING)
                      .values(heartbeat_at=utcnow()))
            return bool(s.scalar(select(JobRow.cancel_requested).where(JobRow.id == job_id)))

    def cancel_requested(self, job_id: str) -> bool:
        with self.db.session() as s:
            return bool(s.scalar(select(JobRow.cancel_requested).where(JobRow.id == job_id)))

    def progress(self, job_id: str, done: float, total: float | None, message: str) -> None:
        with self.db.session() as s:
            s.execute(update(JobRow).where(JobRow.id == job_id).values(
                progress_done=done, progress_total=total, message=message[:2000],
                heartbeat_at=utcnow()))

    def log(self, job_id: str, level: str, message: str) -> None:
        with self.db.session() as s:
            s.add(JobLogRow(job_id=job_id, at=utcnow(), level=level, message=message[:10000]))

    def finish(
        self, job_id: str, state: JobState, message: str, *,
        result: dict[str, Any] | None = None, error: dict[str, Any] | None = None,
    ) -> None:
        with self.db.session() as s:
            row = s.get(JobRow, job_id)
            if row is not None and not JobState(row.state).finished:
                _finish(s, row, state, message, result=result, error=error)

    def requeue_or_fail(self, job_id: str, error: dict[str, Any]) -> str:
        """After a worker crash: a job that never started goes back to the queue."""
        with self.db.session() as s:
            row = s.get(JobRow, job_id)
            if row is None:
                return "gone"
            if row.state == JobState.QUEUED:
                return "queued"
            if row.state == JobState.RUNNING:
                _finish(s, row, JobState.FAILED, str(error["message"]), error=error)
                s.add(JobLogRow(job_id=job_id, at=utcnow(), level="ERROR",
                                message=error["message"]))
            return str(row.state)

    def reap(self) -> int:
        """Fail running jobs whose heartbeat is older than the stale limit."""
        cutoff = utcnow() - self.stale
        error = {
            "code": "worker_lost", "type": "Unavailable", "retryable": True, "details": {},
            "message": "the worker running this job stopped responding (killed or crashed); "
            "the dataset was left at its last good version: run the job again",
        }
        with self.db.session() as s:
            rows = s.scalars(select(JobRow).where(
                JobRow.state == JobState.RUNNING, JobRow.heartbeat_at < cutoff)).all()
            for row in rows:
                _finish(s, row, JobState.FAILED, str(error["message"]), error=error)
            return len(rows)

    def resume_queued(self) -> int:
        """Hand every queued job to the executor again (a server starting up)."""
        with self.db.session() as s:
            queued = s.execute(select(JobRow.id, JobRow.kind)
                               .where(JobRow.state == JobState.QUEUED)
                               .order_by(JobRow.id)).all()
        for job_id, kind in queued:
            self._executor().submit(job_id, long_running=is_long_running(kind))
        return len(queued)

    def running_ids(self, worker_prefix: str | None = None) -> builtins.list[str]:
        """Running jobs, optionally only those whose worker name starts with the prefix."""
        q = select(JobRow.id).where(JobRow.state == JobState.RUNNING)
        if worker_prefix:
            q = q.where(JobRow.worker.startswith(worker_prefix))
        with self.db.session() as s:
            return list(s.scalars(q))

    def worker_of(self, job_id: str) -> str | None:
        with self.db.session() as s:
            return s.scalar(select(JobRow.worker).where(JobRow.id == job_id))

    def kind_of(self, job_id: str) -> str | None:
        with self.db.session() as s:
            return s.scalar(select(JobRow.kind).where(JobRow.id == job_id))

    def request_cancel(self, job_ids: builtins.list[str]) -> None:
        """Ask running jobs to stop (no permission check: the server is stopping)."""
        if job_ids:
            with self.db.session() as s:
                s.execute(update(JobRow).where(JobRow.id.in_(job_ids))
                          .values(cancel_requested=True))

    def interrupt(self, job_ids: builtins.list[str]) -> int:
        """Fail jobs still running when the server stopped (``server_stopped``)."""
        error = Unavailable("the server stopped while this job ran; the dataset was left at "
                            "its last good version: run the job again",
                            code="server_stopped").to_payload()["error"]
        with self.db.session() as s:
            rows = s.scalars(select(JobRow).where(JobRow.id.in_(job_ids),
                                                  JobRow.state == JobState.RUNNING)).all()
            for row in rows:
                _finish(s, row, JobState.FAILED, str(error["message"]), error=error)
            return len(rows)

    @staticmethod
    def _row(s: Any, ctx: Ctx, job_id: str) -> JobRow:
        if not isinstance(job_id, str) or len(job_id) > 64:
            raise InvalidInput("job ids are 26-character strings", code="invalid_job_id")
        row = s.get(JobRow, job_id)
        if row is None or row.project_id != ctx.project_id:
            raise NotFound(f"job {job_id} does not exist", code="job_not_found",
                           details={"job": job_id})
        return row  # type: ignore[no-any-return]


def _finish(
    s: Session, row: JobRow, state: JobState, message: str, *,
    result: dict[str, Any] | None = None, error: dict[str, Any] | None = None,
) -> None:
    row.state = state
    row.message = message[:2000]
    row.finished_at = utcnow()
    row.result = result
    row.error = error
    emit_for(s, row.project_id, row.created_by,
             JobFinished(job_id=row.id, job_kind=row.kind, state=str(state)))


def _info(row: JobRow) -> JobInfo:
    return JobInfo(
        id=row.id, kind=row.kind, state=JobState(row.state), params=row.params or {},
        progress_done=row.progress_done or 0.0, progress_total=row.progress_total,
        message=row.message or "", result=row.result, error=row.error,
        created_at=row.created_at, created_by=row.created_by, started_at=row.started_at,
        finished_at=row.finished_at, heartbeat_at=row.heartbeat_at, worker=row.worker,
        attempts=row.attempts or 0, cancel_requested=bool(row.cancel_requested),
    )
