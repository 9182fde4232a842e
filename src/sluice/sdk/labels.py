"""Labeling in the SDK: ``client.labels`` (the same calls locally and over REST)."""

from __future__ import annotations

import builtins
import contextlib
import inspect
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pyarrow as pa

from sluice.core.datasets import VersionInfo
from sluice.core.jobs import JobInfo, poll_until_finished
from sluice.core.labels import (
    Agreement,
    Annotation,
    Answer,
    LabelingFn,
    LabelingFunction,
    LabelIssues,
    LabelModelReport,
    LabelSchema,
    LearningCurve,
    LFAnalysis,
    Outcome,
    Queue,
    SchemaKind,
    SessionResult,
    Span,
    run_guarded,
)
from sluice.errors import AlreadyExists, NotFound

if TYPE_CHECKING:
    from sluice.sdk.local import LocalClient
    from sluice.sdk.remote import RemoteClient


def labeling_function(name: str | None = None) -> Callable[[LabelingFn], LabelingFn]:
    """Mark a Python function ``text -> class name or None`` as a labeling function::

        @sluice.labeling_function()
        def mentions_link(text):
            return "spam" if "http" in text else None

        client.labels.apply_python("comments", "spam", [mentions_link])
    """

    def mark(fn: LabelingFn) -> LabelingFn:
        fn.lf_name = name or fn.__name__  # type: ignore[attr-defined]
        return fn

    return mark


class LabelsAPI(ABC):
    """``client.labels``."""

    def apply_python(self, dataset: str, schema: str, functions: Sequence[LabelingFn], *,
                     timeout: float = 60.0) -> builtins.list[LabelingFunction]:
        """Run Python labeling functions here, each in a child process with a time limit,
        and store their votes. A function that raises or returns an unknown class fails
        that row only; one that runs past ``timeout`` seconds is stopped."""
        found = next((x for x in self.schemas(dataset) if x.name == schema), None)
        if found is None:
            raise NotFound(f"{dataset} has no label schema {schema!r}",
                           code="label_schema_not_found")
        table = self._rows(dataset, found.column)
        keys = table.column("_key").to_pylist()
        texts = [t or "" for t in table.column(found.column).to_pylist()]
        for fn in functions:
            name = getattr(fn, "lf_name", fn.__name__)
            started = time.perf_counter()
            outcome = run_guarded(fn, keys, texts, found.classes, timeout=timeout)
            self.store_votes(dataset, schema, name, outcome.votes, outcome.errors,
                             source=_source(fn), seconds=time.perf_counter() - started,
                             rows=len(keys))
        return self.functions(dataset, schema)

    @abstractmethod
    def _rows(self, dataset: str, column: str) -> pa.Table: ...

    @abstractmethod
    def create_function(self, dataset: str, schema: str, name: str, kind: str, *,
                        label: str | None = None,
                        config: dict[str, Any] | None = None) -> LabelingFunction:
        """A no-code labeling function: ``keyword`` ({"keywords": [...]}), ``regex``
        ({"pattern": ...}), ``sql`` ({"predicate": ...}) or ``similarity``
        ({"examples": [row keys], "threshold": 0.6}), voting ``label``."""

    @abstractmethod
    def functions(self, dataset: str, schema: str) -> builtins.list[LabelingFunction]: ...

    @abstractmethod
    def delete_function(self, dataset: str, schema: str, name: str) -> None: ...

    def apply(self, dataset: str, schema: str, names: builtins.list[str] | None = None, *,
              on_progress: Callable[[JobInfo], None] | None = None,
              ) -> builtins.list[LabelingFunction]:
        """Run the no-code functions over the newest version and store their votes: the
        ``labels.apply`` job, waited for. A function that fails, or is not done within
        ``lf_apply_seconds`` for the whole run, keeps its last votes and shows the error in
        ``applied["error"]``.

        Raises:
            NotFound: a name that is no no-code function of the schema (``lf_not_found``).
        """
        from sluice.sdk.api import raise_if_failed

        job = self.start_apply(dataset, schema, names)
        raise_if_failed(self._wait(job.id, on_progress))
        return self.functions(dataset, schema)

    @abstractmethod
    def start_apply(self, dataset: str, schema: str,
                    names: builtins.list[str] | None = None) -> JobInfo:
        """Start the job :meth:`apply` waits for; follow it with ``client.jobs.wait``."""

    @abstractmethod
    def _wait(self, job_id: str, on_progress: Callable[[JobInfo], None] | None) -> JobInfo:
        """Block until the job finishes."""

    @abstractmethod
    def store_votes(self, dataset: str, schema: str, name: str, votes: dict[str, str],
                    errors: dict[str, str] | None = None, *, source: str = "",
                    seconds: float = 0.0, rows: int = 0) -> None:
        """Store a Python function's votes (created as kind ``python`` on first use)."""

    @abstractmethod
    def analysis(self, dataset: str, schema: str) -> LFAnalysis:
        """Coverage, overlap, conflict and accuracy on people's labels, per function."""

    @abstractmethod
    def run_llm(self, dataset: str, schema: str, name: str) -> JobInfo:
        """Start the job running an ``llm`` (zero-shot prompt) function over the rows;
        follow it with ``client.jobs.wait(job.id)``."""

    @abstractmethod
    def label_issues(self, dataset: str, schema: str, *, limit: int = 200) -> LabelIssues:
        """Likely label errors among people's labels (cleanlab), worst first."""

    @abstractmethod
    def commit(self, dataset: str, schema: str, *, weak: bool = False,
               message: str = "") -> VersionInfo | None:
        """Write the labels as columns into a new dataset version (None: unchanged)."""

    @abstractmethod
    def learning_curve(self, dataset: str, schema: str, *, strategy: str = "uncertainty",
                       batch: int = 10) -> LearningCurve:
        """Accuracy against labels for a strategy vs random order (people as oracle)."""

    @abstractmethod
    def label_model(self, dataset: str, schema: str, *,
                    include_labels: bool = False) -> LabelModelReport:
        """Fit the label model on the functions' votes; compare with majority vote; with
        ``include_labels``, every row's probabilistic label."""

    @abstractmethod
    def create_schema(self, dataset: str, name: str, classes: builtins.list[str], *,
                      kind: SchemaKind = SchemaKind.SINGLE, column: str | None = None,
                      overlap: int = 1, instructions: str = "") -> LabelSchema:
        """What to label in ``dataset``: classes, or span labels for a text column."""

    @abstractmethod
    def schemas(self, dataset: str) -> builtins.list[LabelSchema]: ...

    @abstractmethod
    def set_column(self, dataset: str, schema: str, column: str) -> LabelSchema:
        """Point ``schema`` at another text column of ``dataset``.

        Raises:
            InvalidInput: ``column_not_found``. Conflict: ``spans_need_their_column`` (a
            span schema with answers keeps its column).
        """

    @abstractmethod
    def text_columns(self, dataset: str, schema: str) -> builtins.list[str]:
        """The columns ``schema`` could label, the default first."""

    @abstractmethod
    def annotate(self, dataset: str, schema: str, key: str, *, label: str | None = None,
                 labels: builtins.list[str] | None = None,
                 spans: builtins.list[Span] | None = None, skip: bool = False,
                 confidence: float | None = None) -> Annotation:
        """Record your answer about row ``key`` (answers are never overwritten)."""

    @abstractmethod
    def annotations(self, dataset: str, schema: str, *,
                    key: str | None = None) -> builtins.list[Annotation]: ...

    @abstractmethod
    def undo(self, dataset: str, schema: str) -> Annotation:
        """Retract your newest answer."""

    @abstractmethod
    def queue(self, dataset: str, schema: str, *, limit: int = 10,
              order: str = "sequential") -> Queue:
        """Your next items to label, with progress."""

    @abstractmethod
    def agreement(self, dataset: str, schema: str) -> Agreement: ...

    @abstractmethod
    def resolve(self, dataset: str, schema: str, key: str, label: str | None = None, *,
                adopt: str | None = None) -> Annotation:
        """Settle a disagreement as a reviewer: give the class, or ``adopt`` one person's
        answer (their classes or spans)."""

    @abstractmethod
    def resolved(self, dataset: str, schema: str) -> dict[str, str]:
        """One label per item from people: the review, else the majority."""


    @abstractmethod
    def prepare_vectors(self, dataset: str, schema: str) -> JobInfo:
        """Start the job embedding the schema's texts for active learning (the queue
        starts it itself past 2,000 new texts); follow it with ``client.jobs.wait``."""

    @abstractmethod
    def record_answers(self, dataset: str, schema: str, answers: Sequence[Answer], *,
                       finish: bool = False) -> SessionResult:
        """Save many answers at once (a bad one is reported, the rest are kept); with
        ``finish``, end the session with a dataset version holding people's labels."""

    @abstractmethod
    def finish_session(self, dataset: str, schema: str) -> VersionInfo | None:
        """End a labeling session: a new dataset version with people's labels (None when
        unchanged)."""

    @contextlib.contextmanager
    def session(self, dataset: str, schema: str) -> Iterator[LabelingSession]:
        """Label in a session that commits a dataset version when it ends::

            with client.labels.session("reviews", "sentiment") as s:
                s.annotate(key, label="positive")
            s.version  # the dataset version the session made (None: unchanged)

        Each answer is saved as it is given; the version is made even when the block
        raises, so no answer waits on the rest.
        """
        labeling = LabelingSession(self, dataset, schema)
        try:
            yield labeling
        except BaseException:
            with contextlib.suppress(Exception):  # the block's error is the one to see
                labeling.finish()
            raise
        labeling.finish()


class LabelingSession:
    """Answers given inside ``client.labels.session(...)``."""

    def __init__(self, labels: LabelsAPI, dataset: str, schema: str) -> None:
        self.labels, self.dataset, self.schema = labels, dataset, schema
        self.answers = 0
        self.version: int | None = None

    def annotate(self, key: str, *, label: str | None = None,
                 labels: builtins.list[str] | None = None,
                 spans: builtins.list[Span] | None = None, skip: bool = False,
                 confidence: float | None = None) -> Annotation:
        saved = self.labels.annotate(self.dataset, self.schema, key, label=label,
                                     labels=labels, spans=spans, skip=skip,
                                     confidence=confidence)
        self.answers += 1
        return saved

    def finish(self) -> None:
        made = self.labels.finish_session(self.dataset, self.schema)
        self.version = made.number if made else None

class LocalLabels(LabelsAPI):
    def __init__(self, client: LocalClient) -> None:
        self.platform = client.platform
        self.service = client.platform.labels
        self.ctx = client.ctx

    def create_schema(self, dataset: str, name: str, classes: builtins.list[str], *,
                      kind: SchemaKind = SchemaKind.SINGLE, column: str | None = None,
                      overlap: int = 1, instructions: str = "") -> LabelSchema:
        return self.service.create_schema(self.ctx, dataset, name, classes, kind=kind,
                                          column=column, overlap=overlap,
                                          instructions=instructions)

    def schemas(self, dataset: str) -> builtins.list[LabelSchema]:
        return self.service.schemas(self.ctx, dataset)

    def set_column(self, dataset: str, schema: str, column: str) -> LabelSchema:
        return self.service.set_column(self.ctx, dataset, schema, column)

    def text_columns(self, dataset: str, schema: str) -> builtins.list[str]:
        self.service.schema(self.ctx, dataset, schema)
        return self.service.text_columns(self.ctx, dataset)

    def annotate(self, dataset: str, schema: str, key: str, *, label: str | None = None,
                 labels: builtins.list[str] | None = None,
                 spans: builtins.list[Span] | None = None, skip: bool = False,
                 confidence: float | None = None) -> Annotation:
        return self.service.annotate(self.ctx, dataset, schema, key, label=label,
                                     labels=labels, spans=spans, skip=skip,
                                     confidence=confidence)

    def annotations(self, dataset: str, schema: str, *,
                    key: str | None = None) -> builtins.list[Annotation]:
        return self.service.annotations(self.ctx, dataset, schema, key=key)

    def undo(self, dataset: str, schema: str) -> Annotation:
        return self.service.undo(self.ctx, dataset, schema)

    def queue(self, dataset: str, schema: str, *, limit: int = 10,
              order: str = "sequential") -> Queue:
        return self.service.queue(self.ctx, dataset, schema, limit=limit, order=order)

    def agreement(self, dataset: str, schema: str) -> Agreement:
        return self.service.agreement(self.ctx, dataset, schema)

    def resolve(self, dataset: str, schema: str, key: str, label: str | None = None, *,
                adopt: str | None = None) -> Annotation:
        return self.service.resolve(self.ctx, dataset, schema, key, label, adopt=adopt)

    def resolved(self, dataset: str, schema: str) -> dict[str, str]:
        return self.service.resolved_labels(self.ctx, dataset, schema)

    def _rows(self, dataset: str, column: str) -> pa.Table:
        return self.platform.datasets.to_arrow(self.ctx, dataset, columns=["_key", column])

    def create_function(self, dataset: str, schema: str, name: str, kind: str, *,
                        label: str | None = None,
                        config: dict[str, Any] | None = None) -> LabelingFunction:
        return self.service.functions.create(self.ctx, dataset, schema, name, kind,
                                             label=label, config=config)

    def functions(self, dataset: str, schema: str) -> builtins.list[LabelingFunction]:
        return self.service.functions.list(self.ctx, dataset, schema)

    def delete_function(self, dataset: str, schema: str, name: str) -> None:
        self.service.functions.delete(self.ctx, dataset, schema, name)

    def start_apply(self, dataset: str, schema: str,
                    names: builtins.list[str] | None = None) -> JobInfo:
        return self.service.functions.start_apply(self.ctx, dataset, schema, names)

    def _wait(self, job_id: str, on_progress: Callable[[JobInfo], None] | None) -> JobInfo:
        return self.platform.jobs.wait(self.ctx, job_id, on_update=on_progress)

    def store_votes(self, dataset: str, schema: str, name: str, votes: dict[str, str],
                    errors: dict[str, str] | None = None, *, source: str = "",
                    seconds: float = 0.0, rows: int = 0) -> None:
        functions = self.service.functions
        with contextlib.suppress(AlreadyExists):  # stored before: replace its votes
            functions.create(self.ctx, dataset, schema, name, "python",
                             config={"source": source})
        functions.store(self.ctx, dataset, schema, name,
                        Outcome(votes=votes, errors=errors or {}), seconds=seconds, rows=rows)

    def analysis(self, dataset: str, schema: str) -> LFAnalysis:
        return self.service.functions.analysis(self.ctx, dataset, schema)

    def run_llm(self, dataset: str, schema: str, name: str) -> JobInfo:
        return self.service.functions.run_llm(self.ctx, dataset, schema, name)

    def label_issues(self, dataset: str, schema: str, *, limit: int = 200) -> LabelIssues:
        return self.service.label_issues(self.ctx, dataset, schema, limit=limit)

    def commit(self, dataset: str, schema: str, *, weak: bool = False,
               message: str = "") -> VersionInfo | None:
        return self.service.commit(self.ctx, dataset, schema, weak=weak, message=message)

    def prepare_vectors(self, dataset: str, schema: str) -> JobInfo:
        return self.service.prepare_vectors(self.ctx, dataset, schema)

    def record_answers(self, dataset: str, schema: str, answers: Sequence[Answer], *,
                       finish: bool = False) -> SessionResult:
        return self.service.record_answers(self.ctx, dataset, schema, answers, finish=finish)

    def finish_session(self, dataset: str, schema: str) -> VersionInfo | None:
        return self.service.finish_session(self.ctx, dataset, schema)

    def learning_curve(self, dataset: str, schema: str, *, strategy: str = "uncertainty",
                       batch: int = 10) -> LearningCurve:
        return self.service.learning_curve(self.ctx, dataset, schema, strategy=strategy,
                                           batch=batch)

    def label_model(self, dataset: str, schema: str, *,
                    include_labels: bool = False) -> LabelModelReport:
        return self.service.functions.label_model(self.ctx, dataset, schema,
                                                  include_labels=include_labels)


class RemoteLabels(LabelsAPI):
    def __init__(self, client: RemoteClient) -> None:
        self.http = client.http

    @staticmethod
    def _base(dataset: str, schema: str | None = None) -> str:
        base = f"/datasets/{quote(dataset, safe='')}/labels"
        return f"{base}/{quote(schema, safe='')}" if schema else base

    def create_schema(self, dataset: str, name: str, classes: builtins.list[str], *,
                      kind: SchemaKind = SchemaKind.SINGLE, column: str | None = None,
                      overlap: int = 1, instructions: str = "") -> LabelSchema:
        return self.http.model(LabelSchema, "POST", self._base(dataset), json={
            "name": name, "classes": classes, "kind": str(kind), "column": column,
            "overlap": overlap, "instructions": instructions})

    def schemas(self, dataset: str) -> builtins.list[LabelSchema]:
        return self.http.model(builtins.list[LabelSchema], "GET", self._base(dataset))

    def set_column(self, dataset: str, schema: str, column: str) -> LabelSchema:
        return self.http.model(LabelSchema, "PATCH", self._base(dataset, schema),
                               json={"column": column})

    def text_columns(self, dataset: str, schema: str) -> builtins.list[str]:
        return self.http.model(builtins.list[str], "GET",
                               self._base(dataset, schema) + "/text-columns")

    def annotate(self, dataset: str, schema: str, key: str, *, label: str | None = None,
                 labels: builtins.list[str] | None = None,
                 spans: builtins.list[Span] | None = None, skip: bool = False,
                 confidence: float | None = None) -> Annotation:
        return self.http.model(Annotation, "POST", self._base(dataset, schema) + "/annotations",
                               json={"key": key, "label": label, "labels": labels,
                                     "spans": [s.model_dump() for s in spans] if spans else None,
                                     "skip": skip, "confidence": confidence})

    def annotations(self, dataset: str, schema: str, *,
                    key: str | None = None) -> builtins.list[Annotation]:
        return self.http.model(builtins.list[Annotation], "GET",
                               self._base(dataset, schema) + "/annotations",
                               params={"key": key} if key is not None else {})

    def undo(self, dataset: str, schema: str) -> Annotation:
        return self.http.model(Annotation, "POST", self._base(dataset, schema) + "/undo")

    def queue(self, dataset: str, schema: str, *, limit: int = 10,
              order: str = "sequential") -> Queue:
        return self.http.model(Queue, "GET", self._base(dataset, schema) + "/queue",
                               params={"limit": limit, "order": order})

    def agreement(self, dataset: str, schema: str) -> Agreement:
        return self.http.model(Agreement, "GET", self._base(dataset, schema) + "/agreement")

    def resolve(self, dataset: str, schema: str, key: str, label: str | None = None, *,
                adopt: str | None = None) -> Annotation:
        return self.http.model(Annotation, "POST", self._base(dataset, schema) + "/resolve",
                               json={"key": key, "label": label, "adopt": adopt})

    def resolved(self, dataset: str, schema: str) -> dict[str, str]:
        rows = self.http.json("GET", self._base(dataset, schema) + "/resolved")
        return {r["key"]: r["label"] for r in rows}

    def _rows(self, dataset: str, column: str) -> pa.Table:
        from sluice.core.sql import from_arrow_ipc

        data = self.http.call("GET", f"/datasets/{quote(dataset, safe='')}/export",
                              params={"format": "arrow"}).content
        return from_arrow_ipc(data).select(["_key", column])

    def create_function(self, dataset: str, schema: str, name: str, kind: str, *,
                        label: str | None = None,
                        config: dict[str, Any] | None = None) -> LabelingFunction:
        return self.http.model(LabelingFunction, "POST", self._base(dataset, schema) + "/lfs",
                               json={"name": name, "kind": kind, "label": label,
                                     "config": config or {}})

    def functions(self, dataset: str, schema: str) -> builtins.list[LabelingFunction]:
        return self.http.model(builtins.list[LabelingFunction], "GET",
                               self._base(dataset, schema) + "/lfs")

    def delete_function(self, dataset: str, schema: str, name: str) -> None:
        self.http.call("DELETE", self._base(dataset, schema) + f"/lfs/{quote(name, safe='')}")

    def start_apply(self, dataset: str, schema: str,
                    names: builtins.list[str] | None = None) -> JobInfo:
        return self.http.model(JobInfo, "POST", self._base(dataset, schema) + "/apply",
                               json={"names": names})

    def _wait(self, job_id: str, on_progress: Callable[[JobInfo], None] | None) -> JobInfo:
        return poll_until_finished(
            lambda: self.http.model(JobInfo, "GET", f"/jobs/{quote(job_id, safe='')}"),
            on_update=on_progress)

    def store_votes(self, dataset: str, schema: str, name: str, votes: dict[str, str],
                    errors: dict[str, str] | None = None, *, source: str = "",
                    seconds: float = 0.0, rows: int = 0) -> None:
        self.http.call("PUT", self._base(dataset, schema) + f"/lfs/{quote(name, safe='')}/votes",
                       json={"votes": votes, "errors": errors or {}, "source": source,
                             "seconds": seconds, "rows": rows})

    def analysis(self, dataset: str, schema: str) -> LFAnalysis:
        return self.http.model(LFAnalysis, "GET", self._base(dataset, schema) + "/analysis")

    def run_llm(self, dataset: str, schema: str, name: str) -> JobInfo:
        return self.http.model(JobInfo, "POST", self._base(dataset, schema)
                               + f"/lfs/{quote(name, safe='')}/run")

    def label_issues(self, dataset: str, schema: str, *, limit: int = 200) -> LabelIssues:
        return self.http.model(LabelIssues, "GET", self._base(dataset, schema) + "/issues",
                               params={"limit": limit})

    def commit(self, dataset: str, schema: str, *, weak: bool = False,
               message: str = "") -> VersionInfo | None:
        found = self.http.json("POST", self._base(dataset, schema) + "/commit",
                               json={"weak": weak, "message": message})
        return None if found is None else VersionInfo.model_validate(found)

    def prepare_vectors(self, dataset: str, schema: str) -> JobInfo:
        return self.http.model(JobInfo, "POST", self._base(dataset, schema) + "/vectors")

    def record_answers(self, dataset: str, schema: str, answers: Sequence[Answer], *,
                       finish: bool = False) -> SessionResult:
        return self.http.model(SessionResult, "POST", self._base(dataset, schema) + "/sessions",
                               json={"answers": [a.model_dump(mode="json") for a in answers],
                                     "finish": finish})

    def finish_session(self, dataset: str, schema: str) -> VersionInfo | None:
        found = self.http.json("POST", self._base(dataset, schema) + "/sessions/finish")
        return None if found is None else VersionInfo.model_validate(found)

    def learning_curve(self, dataset: str, schema: str, *, strategy: str = "uncertainty",
                       batch: int = 10) -> LearningCurve:
        return self.http.model(LearningCurve, "GET",
                               self._base(dataset, schema) + "/learning-curve",
                               params={"strategy": strategy, "batch": batch})

    def label_model(self, dataset: str, schema: str, *,
                    include_labels: bool = False) -> LabelModelReport:
        return self.http.model(LabelModelReport, "GET",
                               self._base(dataset, schema) + "/label-model",
                               params={"include_labels": include_labels})


def _source(fn: LabelingFn) -> str:
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return ""
