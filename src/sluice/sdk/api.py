"""The client interface. ``LocalClient`` and ``RemoteClient`` implement it method for method,
with the same return types and the same errors; contract tests run against both."""

from __future__ import annotations

import builtins
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

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
)
from sluice.core.jobs import JobInfo, JobLog, JobState
from sluice.core.quality import QualityReport
from sluice.core.rag import AskResult, TraceInfo
from sluice.core.search import (
    QAItem,
    Qrels,
    RagReport,
    RetrievalReport,
    SearchResults,
    ViewInfo,
    find_beir,
    read_corpus,
    read_qa,
    read_qrels,
    read_queries,
)
from sluice.core.sql import QueryResult
from sluice.core.streams import AppendResult
from sluice.errors import InvalidInput, NotFound
from sluice.sdk.access import MembersAPI, ProjectsAPI, RolesAPI
from sluice.sdk.areas import AreasAPI
from sluice.sdk.labels import LabelsAPI
from sluice.sdk.lineage import EventsAPI, LineageAPI
from sluice.sdk.system import SystemAPI
from sluice.sdk.tracking import ActiveRun, ExperimentsAPI, ModelsAPI, RunsAPI, start_run
from sluice.sdk.training import TrainingAPI

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from sluice.core.training import Finetuning, Training

ProgressFn = Callable[[JobInfo], None]
PathsArg = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


def raise_if_failed(job: JobInfo) -> None:
    """Raise the error a finished job ended with (nothing when it succeeded)."""
    from sluice.errors import SluiceError, error_from_payload

    if job.state != JobState.SUCCEEDED:
        if job.error:
            raise error_from_payload({"error": job.error}, 500)
        raise SluiceError(f"job {job.id} ended {job.state}: {job.message}")


def attach_parts(client: Client, side: Literal["local", "remote"]) -> None:
    """Give ``client`` the namespace each area declares (``client.datasets``...); a part
    that fails to load, or would hide a client method, is reported and left out."""
    from sluice import areas

    for area in areas.areas():
        for part in area.sdk:
            if part.attr in vars(client) or hasattr(type(client), part.attr):
                areas.report(area.name, f"sdk {part.attr}", InvalidInput(
                    f"client.{part.attr} already exists; choose another name"))
                continue
            ref = part.local if side == "local" else part.remote
            for cls in areas.parts(area, "sdk", [ref], None):
                try:
                    setattr(client, part.attr, cls(client))
                except Exception as exc:
                    areas.report(area.name, f"sdk {ref}", exc)


def as_paths(paths: PathsArg) -> builtins.list[str]:
    """One path or several, as strings."""
    if isinstance(paths, str | os.PathLike):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


class DatasetsAPI(ABC):
    """Versioned datasets: ``client.datasets``."""

    @abstractmethod
    def list(self) -> builtins.list[DatasetInfo]:
        """All datasets of the project, with their newest version."""

    @abstractmethod
    def get(self, name: str) -> DatasetInfo:
        """One dataset with its columns.

        Raises:
            NotFound: ``dataset_not_found``.
        """

    @abstractmethod
    def create(self, name: str, *, kind: DatasetKind = DatasetKind.TABLE, description: str = "",
               key_column: str | None = None) -> DatasetInfo:
        """Create an empty dataset (ingest and append create one on first use).

        Raises:
            AlreadyExists: ``dataset_exists``.
        """

    @abstractmethod
    def delete(self, name: str) -> None:
        """Delete a dataset with all its versions."""

    @abstractmethod
    def versions(self, name: str) -> builtins.list[VersionInfo]:
        """Every version, newest first."""

    @abstractmethod
    def version(self, ref: str) -> VersionInfo:
        """One version: ``name@N`` or ``name`` (the newest)."""

    @abstractmethod
    def schema(self, ref: str) -> builtins.list[ColumnInfo]:
        """The columns of a version."""

    @abstractmethod
    def rows(self, ref: str, *, offset: int = 0, limit: int = 50,
             columns: Sequence[str] | None = None, sort: str | None = None,
             descending: bool = False, where: str | None = None) -> RowsPage:
        """A page of rows, JSON-friendly (binary values as base64).

        Args:
            sort: the column to order by (``descending`` for high to low); without it
                rows come by the key column, or in storage order when there is none.
            where: one SQL condition (``score > 0.5``); ``total`` counts the matches.

        Raises:
            InvalidInput: ``invalid_page``, ``column_not_found``, ``invalid_filter``.
        """

    @abstractmethod
    def diff(self, name: str, from_version: int | str, to_version: int | str = "latest", *,
             limit: int = 100) -> DiffResult:
        """Rows added, removed and changed between two versions."""

    @abstractmethod
    def restore(self, name: str, version: int) -> VersionInfo:
        """Commit a new version with the content of ``version``."""

    @abstractmethod
    def delete_rows(self, name: str, where: str) -> VersionInfo | None:
        """Commit a version without the rows matching SQL predicate ``where``."""

    @abstractmethod
    def append(self, name: str, rows: builtins.list[dict[str, Any]], *,
               idempotency_key: str | None = None,
               key_column: str | None = None) -> AppendResult:
        """Commit ``rows`` as one new version; a repeated idempotency key stores nothing."""

    @abstractmethod
    def to_arrow(self, ref: str) -> pa.Table:
        """A whole version as an Arrow table."""

    def to_pandas(self, ref: str) -> pd.DataFrame:
        """A whole version as a pandas DataFrame."""
        frame: pd.DataFrame = self.to_arrow(ref).to_pandas()
        return frame

    @abstractmethod
    def export(self, ref: str, fmt: str = "parquet") -> bytes:
        """A whole version as ``csv``, ``jsonl``, ``json``, ``parquet`` or ``arrow`` bytes."""


class JobsAPI(ABC):
    """Long-running work: ``client.jobs``."""

    @abstractmethod
    def list(self, *, state: JobState | None = None, kind: str | None = None,
             limit: int = 50) -> builtins.list[JobInfo]:
        """Recent jobs, newest first."""

    @abstractmethod
    def get(self, job_id: str) -> JobInfo:
        """One job."""

    @abstractmethod
    def logs(self, job_id: str, *, after: int = 0) -> builtins.list[JobLog]:
        """Log lines after id ``after``."""

    @abstractmethod
    def cancel(self, job_id: str) -> JobInfo:
        """Ask a job to stop."""

    @abstractmethod
    def wait(self, job_id: str, *, timeout: float | None = None,
             on_progress: ProgressFn | None = None) -> JobInfo:
        """Block until the job finishes."""


class QualityAPI(ABC):
    """Quality reports: ``client.quality``."""

    @abstractmethod
    def run(self, ref: str, *, wait: bool = True,
            on_progress: ProgressFn | None = None) -> JobInfo:
        """Compute the report of a version (a job)."""

    @abstractmethod
    def get(self, ref: str) -> QualityReport:
        """The stored report of a version.

        Raises:
            NotFound: ``quality_report_missing`` when it was never computed.
        """

    @abstractmethod
    def redact(self, name: str, *, wait: bool = True,
               on_progress: ProgressFn | None = None) -> JobInfo:
        """Commit a version with emails, phones, cards and IBANs masked (a job)."""


class ViewsAPI(ABC):
    """Chunk views with embeddings and search indexes: ``client.views``."""

    @abstractmethod
    def create(self, name: str, source: str, *, column: str | None = None,
               chunk_size: int = 200, chunk_overlap: int = 30, embedder: str | None = None,
               auto_sync: bool = True, wait: bool = True,
               on_progress: ProgressFn | None = None) -> ViewInfo:
        """A view with one row per chunk of ``source``'s text ``column`` (default ``text``),
        embedded and indexed for search; kept in sync as the source changes.

        Raises:
            InvalidInput: ``column_not_text``, ``column_required``, ``unknown_embedder``.
            AlreadyExists: ``dataset_exists``.
        """

    @abstractmethod
    def list(self) -> builtins.list[ViewInfo]:
        """All views of the project."""

    @abstractmethod
    def get(self, name: str) -> ViewInfo:
        """One view and how far it has caught up with its source."""

    @abstractmethod
    def sync(self, name: str, *, wait: bool = True,
             on_progress: ProgressFn | None = None) -> JobInfo:
        """Re-chunk, re-embed and re-index only what changed in the source (a job)."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Delete the view, its versions and its indexes."""


class TokensAPI(ABC):
    """API tokens: ``client.tokens``."""

    @abstractmethod
    def create(self, name: str, *, user: str | None = None,
               expires_days: float | None = None, project: str | None = None) -> NewToken:
        """A new token; its secret is shown only in this result. With ``project`` it works
        in that project only (its user must be a member)."""

    @abstractmethod
    def list(self, *, sessions: bool = False) -> builtins.list[TokenInfo]:
        """Your tokens (admins: everyone's); with ``sessions``, the web sessions too (each
        names the token it was opened with as ``parent``)."""

    @abstractmethod
    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke a token (and the web sessions opened with it), or one session, at once."""


class UsersAPI(ABC):
    """People: ``client.users`` (workspace admins only)."""

    @abstractmethod
    def create(self, name: str, *, role: str | None = Role.VIEWER,
               admin: bool = False) -> UserInfo:
        """Add a user with ``role`` in the client's project (None: in none yet; add them
        with ``client.members.set``); ``admin`` makes a workspace admin. Then give them a
        token."""

    @abstractmethod
    def list(self) -> builtins.list[UserInfo]:
        """Every user, with their role in the client's project."""


class StreamsAPI(ABC):
    """Stream sources: ``client.streams``."""

    @abstractmethod
    def consume_redis(self, dataset: str, *, stream: str,
                      url: str = "redis://127.0.0.1:6379/0", group: str = "sluice",
                      batch_rows: int = 500, batch_seconds: float = 1.0,
                      key_column: str | None = None,
                      stop_after_idle: float | None = None) -> JobInfo:
        """Start a job committing micro-batches from a Redis stream into ``dataset``."""


class Client(ABC):
    """A Sluice client: ``sluice.connect()`` (local) or ``sluice.connect(url, token=...)``."""

    datasets: DatasetsAPI
    jobs: JobsAPI
    quality: QualityAPI
    tokens: TokensAPI
    users: UsersAPI
    streams: StreamsAPI
    views: ViewsAPI
    experiments: ExperimentsAPI
    runs: RunsAPI
    models: ModelsAPI
    labels: LabelsAPI
    areas: AreasAPI
    system: SystemAPI
    lineage: LineageAPI
    events: EventsAPI
    projects: ProjectsAPI
    members: MembersAPI
    roles: RolesAPI
    training: TrainingAPI

    def train(self, dataset: str, target: str, **options: Any) -> Training:
        """Train the best model for ``target`` (``client.training.train``, which documents
        the options)::

            training = client.train("churn@2", "churned", budget=120, register="churn")
        """
        return self.training.train(dataset, target, **options)

    def finetune(self, dataset: str, **options: Any) -> Finetuning:
        """Train a LoRA adapter on prompt/response pairs (``client.training.finetune``,
        which documents the options)::

            tuned = client.finetune("support-qa@3", steps=200, register="support-lora")
        """
        return self.training.finetune(dataset, **options)

    def run(self, experiment: str = "Default", *, name: str | None = None,
            tags: dict[str, str] | None = None, parent: str | None = None) -> ActiveRun:
        """Start a run (creating the experiment if needed); use it with ``with``::

            with client.run(experiment="churn") as run:
                run.log_params({"lr": 0.1})
                run.log_metrics({"loss": 0.3}, step=3)
                run.log_artifact("model.skops")
        """
        return start_run(self, experiment, name=name, tags=tags, parent=parent)

    @abstractmethod
    def whoami(self) -> dict[str, Any]:
        """The user, role and project this client acts as."""

    @abstractmethod
    def ingest(self, paths: PathsArg, dataset: str, *, mode: str = "auto",
               include: Sequence[str] = (), exclude: Sequence[str] = (),
               recursive: bool = True, key_column: str | None = None, wait: bool = True,
               on_progress: ProgressFn | None = None) -> JobInfo:
        """Ingest files and folders into ``dataset`` (created on first use).

        Table files (CSV, TSV, JSON lines, Parquet, Excel) named directly become rows;
        folders become one row per document. Re-ingesting parses only changed files.
        """

    @abstractmethod
    def sql(self, query: str, *, limit: int | None = None,
            timeout: float | None = None) -> QueryResult:
        """Run a read-only query over datasets (``FROM tickets``, ``FROM "tickets@3"``)."""

    @abstractmethod
    def search(self, name: str, query: str, *, mode: str = "hybrid", k: int = 10,
               where: str | None = None) -> SearchResults:
        """The ``k`` best chunks of a view (or of a dataset's only view) for ``query``.

        ``mode`` is ``text`` (BM25), ``vector`` (embeddings) or ``hybrid`` (both, fused by
        reciprocal rank). ``where`` is a SQL predicate on the source rows.

        Raises:
            InvalidInput: ``query_empty``, ``query_too_long``, ``invalid_k``,
                ``invalid_search_mode``, ``sql_invalid``.
            NotFound: ``view_not_found``, ``view_not_synced``.
        """

    @abstractmethod
    def ask(self, name: str, question: str, *, k: int = 4, mode: str = "hybrid",
            where: str | None = None, max_tokens: int | None = None,
            on_token: Callable[[str], None] | None = None,
            style: str | None = None,
            on_extract: Callable[[str], None] | None = None,
            model: str | None = None) -> AskResult:
        """Answer ``question`` from a view's passages with the configured LLM; the answer's
        ``[n]`` markers refer to ``citations``. ``on_token`` sees the answer as it streams,
        ``on_extract`` the extract as soon as it is made (before generation starts).
        ``style``: ``both`` (``extract``, the passages' best sentences, cited, then the
        generated ``answer``), ``extract`` (no generation) or ``generate``; default: the
        ``ask_style`` setting. ``notice`` says in words why an answer is incomplete.
        ``model``: ``smollm2``, ``openai``, or a registered fine-tuned model
        (``name@alias``, ``name/3``: a LoRA adapter from :meth:`finetune`, or a merged one).

        Raises:
            InvalidInput: ``query_empty``, ``query_too_long``, ``invalid_k``,
                ``invalid_max_tokens``, ``invalid_ask_style``, ``not_a_language_model``.
            NotFound: a ``model`` that is not registered.
            Timeout: ``provider_timeout``. ExternalService: ``provider_bad_response``,
                ``provider_unreachable``, ``provider_error``.
        """

    @abstractmethod
    def traces(self, *, kind: str | None = None, limit: int = 50) -> builtins.list[TraceInfo]:
        """Recent traced calls (asks), newest first, with their timed spans."""

    @abstractmethod
    def trace(self, trace_id: str) -> TraceInfo:
        """One trace. Raises NotFound ``trace_not_found``."""

    @abstractmethod
    def evaluate_retrieval(self, view: str, queries: dict[str, str], qrels: Qrels, *,
                           modes: Sequence[str] = ("text", "vector", "hybrid"),
                           wait: bool = True,
                           on_progress: ProgressFn | None = None) -> JobInfo:
        """Score a view's search modes on judged queries (a job; its result is a
        :class:`RetrievalReport`). ``qrels`` maps query id to {source key: grade}."""

    def eval_retrieval(self, path: str | os.PathLike[str], *, name: str | None = None,
                       modes: Sequence[str] = ("text", "vector", "hybrid"),
                       chunk_size: int = 256, split: str = "test",
                       on_progress: ProgressFn | None = None) -> RetrievalReport:
        """Load a BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) into the
        dataset ``name`` (default: the folder's name) with a view ``<name>_chunks``, and
        report nDCG@10, recall@100 and MRR for each search mode."""
        folder = find_beir(Path(path))
        name = name or (folder.parent.name if folder.name == "beir" else folder.name)
        qrels = read_qrels(folder, split)
        queries = read_queries(folder, qrels)
        corpus = builtins.list(read_corpus(folder))
        for start in range(0, len(corpus), 1000):
            self.datasets.append(name, corpus[start:start + 1000], key_column="doc_id")
        view = f"{name}_chunks"
        try:
            self.views.get(view)
            self.views.sync(view, on_progress=on_progress)
        except NotFound:
            self.views.create(view, name, chunk_size=chunk_size, chunk_overlap=0,
                              auto_sync=False, on_progress=on_progress)
        job = self.evaluate_retrieval(view, queries, qrels, modes=modes,
                                      on_progress=on_progress)
        raise_if_failed(job)
        return RetrievalReport.model_validate(job.result)

    @abstractmethod
    def evaluate_rag(self, view: str, items: Sequence[QAItem], *, k: int = 4,
                     max_tokens: int = 64, wait: bool = True,
                     on_progress: ProgressFn | None = None,
                     style: str | None = None) -> JobInfo:
        """Ask each question and score the answers (a job; its result is a
        :class:`RagReport`, also stored as a trace of kind ``eval.rag``)."""

    def eval_rag(self, view: str, path: str | os.PathLike[str], *, k: int = 4,
                 max_tokens: int = 64, on_progress: ProgressFn | None = None,
                 style: str | None = None) -> RagReport:
        """Score answers on a JSON lines file of {"question", "answer", "source"}: the hit
        rate of the gold source among the passages and among the cited ones, exact and
        contains matches (answer, extract, either), loops, cuts, the median time to the
        first words, and an LLM judge when an OpenAI-compatible provider is configured."""
        job = self.evaluate_rag(view, read_qa(Path(path)), k=k, max_tokens=max_tokens,
                                on_progress=on_progress, style=style)
        raise_if_failed(job)
        return RagReport.model_validate(job.result)

    @abstractmethod
    def audit(self, *, limit: int = 100) -> builtins.list[AuditEvent]:
        """Recent changes in the project, newest first (admins only)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections (and, locally, wait for running jobs)."""

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
