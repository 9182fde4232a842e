"""The in-process client: calls the services of a :class:`~sluice.platform.Platform`."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

from sluice.core.audit import AuditEvent
from sluice.core.auth import NewToken, TokenInfo, UserInfo
from sluice.core.context import Ctx, Role, identity
from sluice.core.datasets import (
    ColumnInfo,
    DatasetInfo,
    DatasetKind,
    DiffResult,
    RowsPage,
    VersionInfo,
)
from sluice.core.ingest import IngestRequest
from sluice.core.jobs import JobInfo, JobLog, JobState
from sluice.core.quality import QualityReport
from sluice.core.rag import AskResult, TraceInfo
from sluice.core.search import QAItem, Qrels, SearchResults, ViewInfo
from sluice.core.sql import QueryResult
from sluice.core.streams import AppendResult
from sluice.platform import Platform
from sluice.sdk.api import (
    Client,
    DatasetsAPI,
    JobsAPI,
    PathsArg,
    ProgressFn,
    QualityAPI,
    StreamsAPI,
    TokensAPI,
    UsersAPI,
    ViewsAPI,
    as_paths,
    attach_parts,
    raise_if_failed,
)


class _Part:
    def __init__(self, client: LocalClient) -> None:
        self.p = client.platform
        self.ctx = client.ctx


class LocalDatasets(_Part, DatasetsAPI):
    def list(self) -> builtins.list[DatasetInfo]:
        return self.p.datasets.list(self.ctx)

    def get(self, name: str) -> DatasetInfo:
        return self.p.datasets.get(self.ctx, name)

    def create(self, name: str, *, kind: DatasetKind = DatasetKind.TABLE, description: str = "",
               key_column: str | None = None) -> DatasetInfo:
        return self.p.datasets.create(self.ctx, name, kind=kind, description=description,
                                      key_column=key_column)

    def delete(self, name: str) -> None:
        self.p.datasets.delete(self.ctx, name)

    def versions(self, name: str) -> builtins.list[VersionInfo]:
        return self.p.datasets.versions(self.ctx, name)

    def version(self, ref: str) -> VersionInfo:
        return self.p.datasets.version(self.ctx, ref)

    def schema(self, ref: str) -> builtins.list[ColumnInfo]:
        return self.p.datasets.schema(self.ctx, ref)

    def rows(self, ref: str, *, offset: int = 0, limit: int = 50,
             columns: Sequence[str] | None = None, sort: str | None = None,
             descending: bool = False, where: str | None = None) -> RowsPage:
        return self.p.datasets.rows(self.ctx, ref, offset=offset, limit=limit,
                                    columns=list(columns) if columns else None, sort=sort,
                                    descending=descending, where=where)

    def diff(self, name: str, from_version: int | str, to_version: int | str = "latest", *,
             limit: int = 100) -> DiffResult:
        return self.p.datasets.diff(self.ctx, name, from_version, to_version, limit=limit)

    def restore(self, name: str, version: int) -> VersionInfo:
        return self.p.datasets.restore(self.ctx, name, version)

    def delete_rows(self, name: str, where: str) -> VersionInfo | None:
        return self.p.datasets.delete_rows(self.ctx, name, where)

    def append(self, name: str, rows: builtins.list[dict[str, Any]], *,
               idempotency_key: str | None = None,
               key_column: str | None = None) -> AppendResult:
        return self.p.appends.append(self.ctx, name, rows, idempotency_key=idempotency_key,
                                     key_column=key_column)

    def to_arrow(self, ref: str) -> pa.Table:
        return self.p.datasets.to_arrow(self.ctx, ref)

    def export(self, ref: str, fmt: str = "parquet") -> bytes:
        return self.p.datasets.export(self.ctx, ref, fmt)


class LocalJobs(_Part, JobsAPI):
    def list(self, *, state: JobState | None = None, kind: str | None = None,
             limit: int = 50) -> builtins.list[JobInfo]:
        return self.p.jobs.list(self.ctx, state=state, kind=kind, limit=limit)

    def get(self, job_id: str) -> JobInfo:
        return self.p.jobs.get(self.ctx, job_id)

    def logs(self, job_id: str, *, after: int = 0) -> builtins.list[JobLog]:
        return self.p.jobs.logs(self.ctx, job_id, after=after)

    def cancel(self, job_id: str) -> JobInfo:
        return self.p.jobs.cancel(self.ctx, job_id)

    def wait(self, job_id: str, *, timeout: float | None = None,
             on_progress: ProgressFn | None = None) -> JobInfo:
        return self.p.jobs.wait(self.ctx, job_id, timeout=timeout, on_update=on_progress)


class LocalQuality(_Part, QualityAPI):
    def run(self, ref: str, *, wait: bool = True,
            on_progress: ProgressFn | None = None) -> JobInfo:
        job = self.p.quality.run(self.ctx, ref)
        return self.p.jobs.wait(self.ctx, job.id, on_update=on_progress) if wait else job

    def get(self, ref: str) -> QualityReport:
        return self.p.quality.get(self.ctx, ref)

    def redact(self, name: str, *, wait: bool = True,
               on_progress: ProgressFn | None = None) -> JobInfo:
        job = self.p.quality.redact(self.ctx, name)
        return self.p.jobs.wait(self.ctx, job.id, on_update=on_progress) if wait else job


class LocalViews(_Part, ViewsAPI):
    def create(self, name: str, source: str, *, column: str | None = None,
               chunk_size: int = 200, chunk_overlap: int = 30, embedder: str | None = None,
               auto_sync: bool = True, wait: bool = True,
               on_progress: ProgressFn | None = None) -> ViewInfo:
        self.p.views.create(self.ctx, name, source, column=column, chunk_size=chunk_size,
                            chunk_overlap=chunk_overlap, embedder=embedder,
                            auto_sync=auto_sync, sync=False)
        job = self.sync(name, wait=wait, on_progress=on_progress)
        if wait:
            raise_if_failed(job)
        return self.p.views.get(self.ctx, name)

    def list(self) -> builtins.list[ViewInfo]:
        return self.p.views.list(self.ctx)

    def get(self, name: str) -> ViewInfo:
        return self.p.views.get(self.ctx, name)

    def sync(self, name: str, *, wait: bool = True,
             on_progress: ProgressFn | None = None) -> JobInfo:
        job = self.p.views.sync(self.ctx, name)
        return self.p.jobs.wait(self.ctx, job.id, on_update=on_progress) if wait else job

    def delete(self, name: str) -> None:
        self.p.views.delete(self.ctx, name)


class LocalTokens(_Part, TokensAPI):
    def create(self, name: str, *, user: str | None = None,
               expires_days: float | None = None, project: str | None = None) -> NewToken:
        return self.p.auth.create_token(self.ctx, name, user=user, expires_days=expires_days,
                                        project=project)

    def list(self, *, sessions: bool = False) -> builtins.list[TokenInfo]:
        return self.p.auth.list_tokens(self.ctx, sessions=sessions)

    def revoke(self, token_id: str) -> TokenInfo:
        return self.p.auth.revoke_token(self.ctx, token_id)


class LocalUsers(_Part, UsersAPI):
    def create(self, name: str, *, role: str | None = Role.VIEWER,
               admin: bool = False) -> UserInfo:
        return self.p.auth.create_user(self.ctx, name, role, admin=admin)

    def list(self) -> builtins.list[UserInfo]:
        return self.p.auth.list_users(self.ctx)


class LocalStreams(_Part, StreamsAPI):
    def consume_redis(self, dataset: str, *, stream: str,
                      url: str = "redis://127.0.0.1:6379/0", group: str = "sluice",
                      batch_rows: int = 500, batch_seconds: float = 1.0,
                      key_column: str | None = None,
                      stop_after_idle: float | None = None) -> JobInfo:
        return self.p.streams.consume_redis(
            self.ctx, dataset, url=url, stream=stream, group=group, batch_rows=batch_rows,
            batch_seconds=batch_seconds, key_column=key_column, stop_after_idle=stop_after_idle)


class LocalClient(Client):
    """Opens the workspace directly, acting as its owner."""

    def __init__(self, platform: Platform, ctx: Ctx, *, owns_platform: bool = True) -> None:
        self.platform = platform
        self.ctx = ctx
        self._owns = owns_platform
        attach_parts(self, "local")

    def whoami(self) -> dict[str, Any]:
        return identity(self.ctx) | {"mode": "local"}

    def ingest(self, paths: PathsArg, dataset: str, *, mode: str = "auto",
               include: Sequence[str] = (), exclude: Sequence[str] = (),
               recursive: bool = True, key_column: str | None = None, wait: bool = True,
               on_progress: ProgressFn | None = None) -> JobInfo:
        request = IngestRequest(
            dataset=dataset, paths=as_paths(paths),
            mode=mode, include=list(include), exclude=list(exclude),  # type: ignore[arg-type]
            recursive=recursive, key_column=key_column)
        job = self.platform.ingest.submit(self.ctx, request, local=True)
        return self.platform.jobs.wait(self.ctx, job.id, on_update=on_progress) if wait else job

    def sql(self, query: str, *, limit: int | None = None,
            timeout: float | None = None) -> QueryResult:
        return self.platform.sql.query(self.ctx, query, limit=limit, timeout=timeout)

    def search(self, name: str, query: str, *, mode: str = "hybrid", k: int = 10,
               where: str | None = None) -> SearchResults:
        return self.platform.search.search(self.ctx, name, query, mode=mode, k=k, where=where)

    def ask(self, name: str, question: str, *, k: int = 4, mode: str = "hybrid",
            where: str | None = None, max_tokens: int | None = None,
            on_token: Callable[[str], None] | None = None,
            style: str | None = None,
            on_extract: Callable[[str], None] | None = None,
            model: str | None = None) -> AskResult:
        return self.platform.rag.ask(self.ctx, name, question, k=k, mode=mode, where=where,
                                     max_tokens=max_tokens, on_token=on_token, style=style,
                                     on_extract=on_extract, model=model)

    def traces(self, *, kind: str | None = None, limit: int = 50) -> builtins.list[TraceInfo]:
        return self.platform.rag.traces.list(self.ctx, kind=kind, limit=limit)

    def trace(self, trace_id: str) -> TraceInfo:
        return self.platform.rag.traces.get(self.ctx, trace_id)

    def evaluate_retrieval(self, view: str, queries: dict[str, str], qrels: Qrels, *,
                           modes: Sequence[str] = ("text", "vector", "hybrid"),
                           wait: bool = True,
                           on_progress: ProgressFn | None = None) -> JobInfo:
        job = self.platform.evals.retrieval(self.ctx, view, queries, qrels, list(modes))
        return self.platform.jobs.wait(self.ctx, job.id, on_update=on_progress) if wait else job

    def evaluate_rag(self, view: str, items: Sequence[QAItem], *, k: int = 4,
                     max_tokens: int = 64, wait: bool = True,
                     on_progress: ProgressFn | None = None,
                     style: str | None = None) -> JobInfo:
        job = self.platform.rag_evals.submit(self.ctx, view, list(items), k=k,
                                             max_tokens=max_tokens, style=style)
        return self.platform.jobs.wait(self.ctx, job.id, on_update=on_progress) if wait else job

    def audit(self, *, limit: int = 100) -> builtins.list[AuditEvent]:
        return self.platform.audit.list(self.ctx, limit=limit)

    def close(self) -> None:
        if self._owns:
            self.platform.close()
