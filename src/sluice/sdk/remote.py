"""The REST client: the same methods and errors as the local client, over HTTP."""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pyarrow as pa
from pydantic import TypeAdapter

from sluice.core.audit import AuditEvent
from sluice.core.auth import NewToken, TokenInfo, UserInfo
from sluice.core.context import Role
from sluice.core.datasets import (
    ColumnInfo,
    DatasetInfo,
    DatasetKind,
    DiffResult,
    RowsPage,
    VersionInfo,
    parse_ref,
)
from sluice.core.ingest import file_digest, scan_paths
from sluice.core.jobs import JobInfo, JobLog, JobState, poll_until_finished
from sluice.core.quality import QualityReport
from sluice.core.rag import AskResult, TraceInfo
from sluice.core.search import QAItem, Qrels, SearchResults, ViewInfo
from sluice.core.sql import QueryResult, from_arrow_ipc
from sluice.core.streams import AppendResult
from sluice.errors import ExternalService, SluiceError, Timeout, Unavailable, error_from_payload
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

T = TypeVar("T")
API = "/api/v1"


class Http:
    """Sends requests and turns error responses back into SluiceErrors."""

    def __init__(self, url: str, token: str, project: str | None, timeout: float,
                 client: httpx.Client | None = None) -> None:
        self.client = client or httpx.Client(base_url=url.rstrip("/"), timeout=timeout)
        self.client.headers["Authorization"] = f"Bearer {token}"
        if project:  # else the server picks the token's project, or `default`
            self.client.headers["X-Sluice-Project"] = project

    @contextmanager
    def _transport(self) -> Iterator[None]:
        """Network failures as SluiceErrors: a timeout, or a server out of reach."""
        try:
            yield
        except httpx.TimeoutException as exc:
            raise Timeout(f"the server did not answer in time: {exc}",
                          code="http_timeout") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(f"cannot reach Sluice at {self.client.base_url}: {exc}",
                              code="server_unreachable") from exc

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with self._transport():
            response = self.client.request(method, API + path, **kwargs)
        if response.status_code >= 400:
            raise _error(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.call(method, path, **kwargs).json()

    def events(self, method: str, path: str, **kwargs: Any) -> Iterator[tuple[str, Any]]:
        """(event, data) pairs of a server-sent event stream; data is JSON."""
        with self._transport(), self.client.stream(method, API + path, **kwargs) as response:
            if response.status_code >= 400:
                response.read()
                raise _error(response)
            event = "message"
            for line in response.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    yield event, json.loads(line[5:].strip())

    def download(self, path: str, target: Path) -> Path:
        """Stream a file response to ``target`` (never whole in memory)."""
        with self._transport(), self.client.stream("GET", API + path) as response:
            if response.status_code >= 400:
                response.read()
                raise _error(response)
            with target.open("wb") as fh:
                for chunk in response.iter_bytes(1024 * 1024):
                    fh.write(chunk)
        return target

    def model(self, model: type[T], method: str, path: str, **kwargs: Any) -> T:
        return TypeAdapter(model).validate_python(self.json(method, path, **kwargs))

    def close(self) -> None:
        self.client.close()


def _error(response: httpx.Response) -> SluiceError:
    try:
        payload = response.json()
    except ValueError:
        return ExternalService(f"HTTP {response.status_code}: {response.text[:300]}",
                               code="bad_response")
    return error_from_payload(payload, response.status_code)


class _Part:
    def __init__(self, client: RemoteClient) -> None:
        self.http = client.http


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="@")


def _ref(ref: str) -> str:
    """A dataset reference checked here, so bad names fail as they do locally."""
    parse_ref(ref)
    return _quote(ref)


class RemoteDatasets(_Part, DatasetsAPI):
    def list(self) -> builtins.list[DatasetInfo]:
        return self.http.model(builtins.list[DatasetInfo], "GET", "/datasets")

    def get(self, name: str) -> DatasetInfo:
        return self.http.model(DatasetInfo, "GET", f"/datasets/{_ref(name)}")

    def create(self, name: str, *, kind: DatasetKind = DatasetKind.TABLE, description: str = "",
               key_column: str | None = None) -> DatasetInfo:
        body = {"name": name, "kind": str(kind), "description": description,
                "key_column": key_column}
        return self.http.model(DatasetInfo, "POST", "/datasets", json=body)

    def delete(self, name: str) -> None:
        self.http.call("DELETE", f"/datasets/{_ref(name)}")

    def versions(self, name: str) -> builtins.list[VersionInfo]:
        return self.http.model(builtins.list[VersionInfo], "GET",
                               f"/datasets/{_ref(name)}/versions")

    def version(self, ref: str) -> VersionInfo:
        return self.http.model(VersionInfo, "GET", f"/datasets/{_ref(ref)}/version")

    def schema(self, ref: str) -> builtins.list[ColumnInfo]:
        return self.http.model(builtins.list[ColumnInfo], "GET", f"/datasets/{_ref(ref)}/schema")

    def rows(self, ref: str, *, offset: int = 0, limit: int = 50,
             columns: Sequence[str] | None = None, sort: str | None = None,
             descending: bool = False, where: str | None = None) -> RowsPage:
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if columns:
            params["columns"] = list(columns)
        if sort is not None:
            params["sort"] = sort
        if descending:
            params["desc"] = "true"
        if where is not None:
            params["where"] = where
        return self.http.model(RowsPage, "GET", f"/datasets/{_ref(ref)}/rows", params=params)

    def diff(self, name: str, from_version: int | str, to_version: int | str = "latest", *,
             limit: int = 100) -> DiffResult:
        params = {"from": str(from_version), "to": str(to_version), "limit": limit}
        return self.http.model(DiffResult, "GET", f"/datasets/{_ref(name)}/diff",
                               params=params)

    def restore(self, name: str, version: int) -> VersionInfo:
        return self.http.model(VersionInfo, "POST", f"/datasets/{_ref(name)}/restore",
                               json={"version": version})

    def delete_rows(self, name: str, where: str) -> VersionInfo | None:
        return self.http.model(VersionInfo | None, "POST",  # type: ignore[arg-type]
                               f"/datasets/{_ref(name)}/delete-rows", json={"where": where})

    def append(self, name: str, rows: builtins.list[dict[str, Any]], *,
               idempotency_key: str | None = None,
               key_column: str | None = None) -> AppendResult:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self.http.model(AppendResult, "POST", f"/datasets/{_ref(name)}/rows",
                               json={"rows": rows, "key_column": key_column}, headers=headers)

    def to_arrow(self, ref: str) -> pa.Table:
        return from_arrow_ipc(self.export(ref, "arrow"))

    def export(self, ref: str, fmt: str = "parquet") -> bytes:
        return self.http.call("GET", f"/datasets/{_ref(ref)}/export",
                              params={"format": fmt}).content


class RemoteJobs(_Part, JobsAPI):
    def list(self, *, state: JobState | None = None, kind: str | None = None,
             limit: int = 50) -> builtins.list[JobInfo]:
        params: dict[str, Any] = {"limit": limit}
        if state:
            params["state"] = str(state)
        if kind:
            params["kind"] = kind
        return self.http.model(builtins.list[JobInfo], "GET", "/jobs", params=params)

    def get(self, job_id: str) -> JobInfo:
        return self.http.model(JobInfo, "GET", f"/jobs/{_quote(job_id)}")

    def logs(self, job_id: str, *, after: int = 0) -> builtins.list[JobLog]:
        return self.http.model(builtins.list[JobLog], "GET", f"/jobs/{_quote(job_id)}/logs",
                               params={"after": after})

    def cancel(self, job_id: str) -> JobInfo:
        return self.http.model(JobInfo, "POST", f"/jobs/{_quote(job_id)}/cancel")

    def wait(self, job_id: str, *, timeout: float | None = None,
             on_progress: ProgressFn | None = None, poll: float = 0.3) -> JobInfo:
        return poll_until_finished(lambda: self.get(job_id), timeout=timeout,
                                   on_update=on_progress, poll=poll)


class _JobPart(_Part):
    """A part whose calls start jobs, and wait for them unless told not to."""

    def __init__(self, client: RemoteClient) -> None:
        super().__init__(client)
        self._client = client

    @property
    def jobs(self) -> JobsAPI:
        return self._client.jobs

    def _start(self, path: str, *, wait: bool, on_progress: ProgressFn | None) -> JobInfo:
        job = self.http.model(JobInfo, "POST", path)
        return self.jobs.wait(job.id, on_progress=on_progress) if wait else job


class RemoteQuality(_JobPart, QualityAPI):
    def run(self, ref: str, *, wait: bool = True,
            on_progress: ProgressFn | None = None) -> JobInfo:
        return self._start(f"/datasets/{_ref(ref)}/quality", wait=wait,
                           on_progress=on_progress)

    def get(self, ref: str) -> QualityReport:
        return self.http.model(QualityReport, "GET", f"/datasets/{_ref(ref)}/quality")

    def redact(self, name: str, *, wait: bool = True,
               on_progress: ProgressFn | None = None) -> JobInfo:
        return self._start(f"/datasets/{_ref(name)}/redact", wait=wait,
                           on_progress=on_progress)


class RemoteViews(_JobPart, ViewsAPI):
    def create(self, name: str, source: str, *, column: str | None = None,
               chunk_size: int = 200, chunk_overlap: int = 30, embedder: str | None = None,
               auto_sync: bool = True, wait: bool = True,
               on_progress: ProgressFn | None = None) -> ViewInfo:
        body = {"name": name, "source": source, "column": column, "chunk_size": chunk_size,
                "chunk_overlap": chunk_overlap, "embedder": embedder, "auto_sync": auto_sync,
                "sync": False}
        self.http.model(ViewInfo, "POST", "/views", json=body)
        job = self.sync(name, wait=wait, on_progress=on_progress)
        if wait:
            raise_if_failed(job)
        return self.get(name)

    def list(self) -> builtins.list[ViewInfo]:
        return self.http.model(builtins.list[ViewInfo], "GET", "/views")

    def get(self, name: str) -> ViewInfo:
        return self.http.model(ViewInfo, "GET", f"/views/{_quote(name)}")

    def sync(self, name: str, *, wait: bool = True,
             on_progress: ProgressFn | None = None) -> JobInfo:
        return self._start(f"/views/{_quote(name)}/sync", wait=wait, on_progress=on_progress)

    def delete(self, name: str) -> None:
        self.http.call("DELETE", f"/views/{_quote(name)}")


class RemoteTokens(_Part, TokensAPI):
    def create(self, name: str, *, user: str | None = None,
               expires_days: float | None = None, project: str | None = None) -> NewToken:
        body = {"name": name, "user": user, "expires_days": expires_days, "project": project}
        return self.http.model(NewToken, "POST", "/tokens", json=body)

    def list(self, *, sessions: bool = False) -> builtins.list[TokenInfo]:
        return self.http.model(builtins.list[TokenInfo], "GET", "/tokens",
                               params={"sessions": sessions})

    def revoke(self, token_id: str) -> TokenInfo:
        return self.http.model(TokenInfo, "DELETE", f"/tokens/{_quote(token_id)}")


class RemoteUsers(_Part, UsersAPI):
    def create(self, name: str, *, role: str | None = Role.VIEWER,
               admin: bool = False) -> UserInfo:
        body = {"name": name, "role": None if role is None else str(role), "admin": admin}
        return self.http.model(UserInfo, "POST", "/users", json=body)

    def list(self) -> builtins.list[UserInfo]:
        return self.http.model(builtins.list[UserInfo], "GET", "/users")


class RemoteStreams(_Part, StreamsAPI):
    def consume_redis(self, dataset: str, *, stream: str,
                      url: str = "redis://127.0.0.1:6379/0", group: str = "sluice",
                      batch_rows: int = 500, batch_seconds: float = 1.0,
                      key_column: str | None = None,
                      stop_after_idle: float | None = None) -> JobInfo:
        body = {"dataset": dataset, "stream": stream, "url": url, "group": group,
                "batch_rows": batch_rows, "batch_seconds": batch_seconds,
                "key_column": key_column, "stop_after_idle": stop_after_idle}
        return self.http.model(JobInfo, "POST", "/streams/redis", json=body)


class RemoteClient(Client):
    """Talks to a Sluice server; local files are uploaded (only those it lacks)."""

    def __init__(self, url: str, token: str, *, project: str | None = None,
                 timeout: float = 60.0, http_client: httpx.Client | None = None) -> None:
        """``http_client`` lets tests drive an in-process app (Starlette's TestClient)."""
        self.url = url
        self.http = Http(url, token, project, timeout, http_client)
        attach_parts(self, "remote")

    def whoami(self) -> dict[str, Any]:
        return dict(self.http.json("GET", "/whoami"))

    def ingest(self, paths: PathsArg, dataset: str, *, mode: str = "auto",
               include: Sequence[str] = (), exclude: Sequence[str] = (),
               recursive: bool = True, key_column: str | None = None, wait: bool = True,
               on_progress: ProgressFn | None = None) -> JobInfo:
        roots, entries = scan_paths(as_paths(paths),
                                    include=list(include) or None,
                                    exclude=list(exclude) or None, recursive=recursive)
        files = self._upload([e.path for e in entries if e.path])
        body = {
            "dataset": dataset, "mode": mode, "key_column": key_column,
            "roots": [{"uri": r.uri, "is_folder": r.is_folder} for r in roots],
            "files": [{"uri": e.uri, "root": e.root, "rel": e.rel, "size": e.size,
                       "mtime": e.mtime, "digest": files[e.path or ""]} for e in entries],
        }
        job = self.http.model(JobInfo, "POST", "/ingest", json=body)
        return self.jobs.wait(job.id, on_progress=on_progress) if wait else job

    def _upload(self, paths: builtins.list[str]) -> dict[str, str]:
        """Hash the files, then send only those the server does not hold."""
        digests = {p: file_digest(Path(p))[0] for p in paths}
        missing = set(self.http.json("POST", "/blobs/missing",
                                     json={"digests": sorted(set(digests.values()))})["missing"])
        for path, digest in digests.items():
            if digest in missing:
                with open(path, "rb") as fh:
                    self.http.call("PUT", f"/blobs/{digest}", content=fh.read())
                missing.discard(digest)
        return digests

    def sql(self, query: str, *, limit: int | None = None,
            timeout: float | None = None) -> QueryResult:
        response = self.http.call("POST", "/sql", json={
            "query": query, "limit": limit, "timeout": timeout, "format": "arrow"})
        table = from_arrow_ipc(response.content)
        elapsed = float(response.headers.get("X-Sluice-Elapsed-Ms", 0.0))
        truncated = response.headers.get("X-Sluice-Truncated") == "true"
        used_limit = int(response.headers.get("X-Sluice-Limit", table.num_rows))
        return QueryResult(table=table, truncated=truncated, elapsed_ms=elapsed,
                           limit=used_limit)

    def search(self, name: str, query: str, *, mode: str = "hybrid", k: int = 10,
               where: str | None = None) -> SearchResults:
        body = {"view": name, "query": query, "mode": mode, "k": k, "where": where}
        return self.http.model(SearchResults, "POST", "/search", json=body)

    def ask(self, name: str, question: str, *, k: int = 4, mode: str = "hybrid",
            where: str | None = None, max_tokens: int | None = None,
            on_token: Callable[[str], None] | None = None,
            style: str | None = None,
            on_extract: Callable[[str], None] | None = None,
            model: str | None = None) -> AskResult:
        streamed = on_token is not None or on_extract is not None
        body = {"view": name, "question": question, "k": k, "mode": mode, "where": where,
                "max_tokens": max_tokens, "style": style, "stream": streamed, "model": model}
        if not streamed:
            return self.http.model(AskResult, "POST", "/ask", json=body)
        for event, data in self.http.events("POST", "/ask", json=body):
            if event == "token" and on_token is not None:
                on_token(data)
            elif event == "extract" and on_extract is not None:
                on_extract(data)
            elif event == "error":
                raise error_from_payload({"error": data}, 500)
            elif event == "done":
                return AskResult.model_validate(data)
        raise ExternalService("the answer stream ended early", code="stream_ended")

    def traces(self, *, kind: str | None = None, limit: int = 50) -> builtins.list[TraceInfo]:
        params: dict[str, Any] = {"limit": limit, **({"kind": kind} if kind else {})}
        return self.http.model(builtins.list[TraceInfo], "GET", "/traces", params=params)

    def trace(self, trace_id: str) -> TraceInfo:
        return self.http.model(TraceInfo, "GET", f"/traces/{_quote(trace_id)}")

    def evaluate_retrieval(self, view: str, queries: dict[str, str], qrels: Qrels, *,
                           modes: Sequence[str] = ("text", "vector", "hybrid"),
                           wait: bool = True,
                           on_progress: ProgressFn | None = None) -> JobInfo:
        body = {"view": view, "queries": queries, "qrels": qrels, "modes": list(modes)}
        job = self.http.model(JobInfo, "POST", "/eval/retrieval", json=body)
        return self.jobs.wait(job.id, on_progress=on_progress) if wait else job

    def evaluate_rag(self, view: str, items: Sequence[QAItem], *, k: int = 4,
                     max_tokens: int = 64, wait: bool = True,
                     on_progress: ProgressFn | None = None,
                     style: str | None = None) -> JobInfo:
        body = {"view": view, "items": [i.model_dump() for i in items], "k": k,
                "max_tokens": max_tokens, "style": style}
        job = self.http.model(JobInfo, "POST", "/eval/rag", json=body)
        return self.jobs.wait(job.id, on_progress=on_progress) if wait else job

    def audit(self, *, limit: int = 100) -> builtins.list[AuditEvent]:
        return self.http.model(builtins.list[AuditEvent], "GET", "/audit",
                               params={"limit": limit})

    def close(self) -> None:
        self.http.close()

