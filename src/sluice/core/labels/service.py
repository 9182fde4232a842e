"""Label schemas, annotations from people (append-only, several per item), the annotation
queue, undo, agreement and the review of disagreements."""

from __future__ import annotations

import builtins
import random
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sluice.core.context import Ctx
from sluice.core.datasets.columns import choose_text_column, text_columns
from sluice.core.labels import agreement as ag
from sluice.core.labels.models import (
    CURVE_STRATEGIES,
    QUEUE_ORDERS,
    Agreement,
    Annotation,
    Answer,
    ClassAgreement,
    LabelIssue,
    LabelIssues,
    LabelSchema,
    LearningCurve,
    Queue,
    QueueItem,
    SchemaKind,
    SessionResult,
    SourceKind,
    Span,
)
from sluice.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from sluice.ids import new_id, utcnow
from sluice.storage.metadata.schema import AnnotationRow, DatasetRow, LabelSchemaRow

if TYPE_CHECKING:
    from sluice.core.audit.service import AuditLog
    from sluice.core.datasets.models import VersionInfo
    from sluice.core.datasets.service import DatasetService
    from sluice.core.jobs.models import JobInfo
    from sluice.core.jobs.service import JobService
    from sluice.core.sql.service import SqlService
    from sluice.settings import Settings
    from sluice.storage.blobs import FsspecBlobStore
    from sluice.storage.metadata.database import Database
    from sluice.storage.tables import LanceTableStore

MAX_CLASSES = 200
ORDERS = QUEUE_ORDERS
MAX_QUEUE = 200
INLINE_EMBED = 2_000  # more texts to embed than this: a job does it, the queue waits
PEOPLE = (SourceKind.HUMAN.value, SourceKind.REVIEW.value)


class UsesLabels(Protocol):
    """What the labeling job handlers use of the composition root."""

    @property
    def labels(self) -> LabelService: ...


class LabelService:
    """Schemas, the queue, answers and commits; its parts (the text vectors, the labeling
    functions) use the stores and services named here."""

    def __init__(self, db: Database, tables: LanceTableStore, blobs: FsspecBlobStore,
                 datasets: DatasetService, jobs: JobService, sql: SqlService,
                 audit: AuditLog, settings: Settings) -> None:
        self.db, self.tables, self.blobs, self.datasets = db, tables, blobs, datasets
        self.jobs, self.sql, self.audit, self.settings = jobs, sql, audit, settings
        from sluice.core.labels.vectors import SchemaVectors

        self.store = SchemaVectors(self)
        from sluice.core.labels.functions import LabelingFunctions

        self.functions = LabelingFunctions(self)

    # schemas
    def create_schema(self, ctx: Ctx, dataset: str, name: str, classes: list[str], *,
                      kind: SchemaKind = SchemaKind.SINGLE, column: str | None = None,
                      overlap: int = 1, instructions: str = "") -> LabelSchema:
        """A label schema on a dataset's text column (by default one named ``text``, else
        the string column with the longest texts).

        Raises:
            InvalidInput: bad classes, column or overlap. AlreadyExists: the name is taken.
        """
        ctx.require("labels.write", "create label schemas")
        classes = _check_classes(classes, SchemaKind(kind))
        if not 1 <= overlap <= 10:
            raise InvalidInput("overlap must be 1..10 annotators per item",
                               code="invalid_overlap")
        column = choose_text_column(self.datasets.open(ctx, dataset), dataset, column)
        row_ds, _ = self.datasets.resolve(ctx, dataset)
        row = LabelSchemaRow(id=new_id(), project_id=ctx.project_id, dataset_id=row_ds.id,
                             name=_check_name(name), kind=SchemaKind(kind).value, column=column,
                             classes={"classes": classes}, overlap=overlap,
                             instructions=instructions, created_at=utcnow(),
                             created_by=ctx.actor.name)
        try:
            with self.db.session() as s:
                s.add(row)
        except IntegrityError:
            raise AlreadyExists(f"{dataset} already has a label schema {name!r}",
                                code="label_schema_exists") from None
        self.audit.record(ctx, "labels.schema.create", f"{dataset}:{name}", classes=classes)
        return _schema(row, row_ds.name)

    def set_column(self, ctx: Ctx, dataset: str, name: str, column: str) -> LabelSchema:
        """Point a schema at another text column. A span schema with answers keeps its
        column: the spans are offsets into that text.

        Raises:
            InvalidInput: ``column_not_found``. Conflict: ``spans_need_their_column``.
        """
        ctx.require("labels.write", "change label schemas")
        column = choose_text_column(self.datasets.open(ctx, dataset), dataset, column)
        with self.db.session() as s:
            row = self.schema_row(s, ctx, dataset, name)
            if row.kind == SchemaKind.SPANS.value and column != row.column and s.execute(
                    select(AnnotationRow.id).where(AnnotationRow.schema_id == row.id)
                    .limit(1)).first():
                raise Conflict(f"{dataset}:{name} has span answers on {row.column!r}; "
                               "create a new schema for another column",
                               code="spans_need_their_column")
            previous, row.column = row.column, column
            schema = _schema(row, dataset)
        self.audit.record(ctx, "labels.schema.column", f"{dataset}:{name}", column=column,
                          previous=previous)
        return schema

    def schemas(self, ctx: Ctx, dataset: str | None = None) -> builtins.list[LabelSchema]:
        q = select(LabelSchemaRow, DatasetRow.name).join(DatasetRow).where(
            LabelSchemaRow.project_id == ctx.project_id)
        if dataset:
            q = q.where(DatasetRow.name == dataset)
        with self.db.reader() as s:
            return [_schema(r, n) for r, n in s.execute(q.order_by(LabelSchemaRow.name))]

    def schema(self, ctx: Ctx, dataset: str, name: str) -> LabelSchema:
        with self.db.reader() as s:
            return _schema(self.schema_row(s, ctx, dataset, name), dataset)

    # annotations
    def annotate(self, ctx: Ctx, dataset: str, name: str, key: str, *,
                 label: str | None = None, labels: builtins.list[str] | None = None,
                 spans: builtins.list[Span] | None = None, skip: bool = False,
                 source_kind: SourceKind = SourceKind.HUMAN, source: str | None = None,
                 confidence: float | None = None) -> Annotation:
        """Record one answer about row ``key``. Answers are never overwritten: two people
        answering the same item at once both keep theirs.

        Raises:
            InvalidInput: a class outside the schema, spans outside the text, or no answer.
            NotFound: no such schema or row.
        """
        ctx.require("labels.annotate", "label rows")
        if source_kind != SourceKind.HUMAN:
            ctx.require("labels.review" if source_kind == SourceKind.REVIEW
                        else "labels.write", f"record {source_kind} answers")
        schema = self.schema(ctx, dataset, name)
        row = self.datasets.row(ctx, dataset, key)
        answer = Answer(key=key, label=label, labels=labels, spans=spans, skip=skip,
                        confidence=confidence)
        value = answer_value(schema, str(row.get(schema.column) or ""), answer)
        return self.save_answers(ctx, dataset, name, [(answer, value)],
                                 source_kind=source_kind, source=source)[0]

    def save_answers(self, ctx: Ctx, dataset: str, name: str,
                     answers: builtins.list[tuple[Answer, dict[str, Any]]], *,
                     source_kind: SourceKind = SourceKind.HUMAN,
                     source: str | None = None) -> builtins.list[Annotation]:
        """Store checked answers (``answer_value`` made each value) in one transaction."""
        version = self.datasets.version(ctx, dataset).number
        with self.db.session() as s:
            schema_row = self.schema_row(s, ctx, dataset, name)
            rows = [AnnotationRow(id=new_id(), schema_id=schema_row.id, row_key=a.key,
                                  value=value, source_kind=SourceKind(source_kind).value,
                                  source=(source or ctx.actor.name)[:128],
                                  confidence=a.confidence, dataset_version=version,
                                  created_at=utcnow()) for a, value in answers]
            s.add_all(rows)
        return [_annotation(r) for r in rows]

    def annotations(self, ctx: Ctx, dataset: str, name: str, *, key: str | None = None,
                    include_retracted: bool = False) -> builtins.list[Annotation]:
        with self.db.reader() as s:
            schema_row = self.schema_row(s, ctx, dataset, name)
            q = select(AnnotationRow).where(AnnotationRow.schema_id == schema_row.id)
            if key is not None:
                q = q.where(AnnotationRow.row_key == key)
            if not include_retracted:
                q = q.where(AnnotationRow.retracted_at.is_(None))
            return [_annotation(r) for r in s.scalars(q.order_by(AnnotationRow.id))]

    def undo(self, ctx: Ctx, dataset: str, name: str) -> Annotation:
        """Retract your newest answer in this schema (it stays in the history)."""
        ctx.require("labels.annotate", "label rows")
        with self.db.session() as s:
            schema_row = self.schema_row(s, ctx, dataset, name)
            row = s.scalars(select(AnnotationRow).where(
                AnnotationRow.schema_id == schema_row.id,
                AnnotationRow.source == ctx.actor.name,
                AnnotationRow.source_kind.in_(PEOPLE),
                AnnotationRow.retracted_at.is_(None))
                .order_by(AnnotationRow.id.desc()).limit(1)).first()
            if row is None:
                raise NotFound("you have no answer to undo in this schema",
                               code="nothing_to_undo")
            row.retracted_at = utcnow()
            return _annotation(row)

    # sessions
    def record_answers(self, ctx: Ctx, dataset: str, name: str,
                       answers: Iterable[Answer], *, finish: bool = False) -> SessionResult:
        """Save many answers (each refused on its own when bad); with ``finish``, end the
        session: people's labels go into a new dataset version."""
        from sluice.core.labels import sessions

        result = sessions.record_answers(self, ctx, dataset, name, answers)
        if finish:
            version = sessions.finish(self, ctx, dataset, name)
            result.version = version.number if version else None
        return result

    def finish_session(self, ctx: Ctx, dataset: str, name: str) -> VersionInfo | None:
        """End a labeling session: a new dataset version with people's labels (None when
        they are unchanged)."""
        from sluice.core.labels import sessions

        return sessions.finish(self, ctx, dataset, name)

    # the queue
    def queue(self, ctx: Ctx, dataset: str, name: str, *, limit: int = 10,
              order: str = "sequential", seed: int = 0) -> Queue:
        """The next items for the caller: rows short of ``overlap`` human answers that the
        caller has not answered (or skipped), in dataset order or shuffled."""
        if not 1 <= limit <= MAX_QUEUE:
            raise InvalidInput(f"limit must be 1..{MAX_QUEUE}", code="invalid_limit")
        if order not in ORDERS:
            raise InvalidInput(f"order must be one of {', '.join(ORDERS)}",
                               code="invalid_order")
        schema = self.schema(ctx, dataset, name)
        table = self.datasets.to_arrow(ctx, dataset, columns=["_key", schema.column])
        counts, mine, skipped = self._answer_counts(ctx, dataset, name)
        keys = table.column("_key").to_pylist()
        pending = [i for i, k in enumerate(keys)
                   if counts.get(k, 0) < schema.overlap and k not in mine]
        preparing = None
        if order not in ("sequential", "random") and pending and \
                self.vectors_missing(ctx, dataset, name, table) > INLINE_EMBED:
            order = "sequential"  # until the texts are embedded (a viewer cannot start it)
            if ctx.can("labels.write"):
                preparing = self.prepare_vectors(ctx, dataset, name).id
        if order == "random":
            random.Random(f"{seed}:{ctx.actor.name}").shuffle(pending)
        elif order != "sequential" and pending:
            pending = self._by_strategy(ctx, dataset, name, table, pending, order,
                                        limit, seed)
        texts = table.column(schema.column)
        items = [QueueItem(key=keys[i], text=_text(texts, i), answers=counts.get(keys[i], 0))
                 for i in pending[:limit]]
        done = sum(1 for k in keys if counts.get(k, 0) >= schema.overlap)
        return Queue(schema_name=name, classes=schema.classes, kind=schema.kind, items=items,
                     done=done, total=len(keys), mine=len(mine), skipped=len(skipped),
                     order=order, preparing=preparing)

    def _by_strategy(self, ctx: Ctx, dataset: str, name: str, table: pa.Table,
                     pending: builtins.list[int], strategy: str, limit: int,
                     seed: int) -> builtins.list[int]:
        """The pending rows the quick model most wants labeled, best first."""
        from sluice.core.labels.active import QuickModel, choose

        schema = self.schema(ctx, dataset, name)
        vectors = self.vectors(ctx, dataset, name, table)
        keys = table.column("_key").to_pylist()
        gold = self.resolved_labels(ctx, dataset, name)
        labelled = [i for i, k in enumerate(keys) if gold.get(k) in schema.classes]
        model = QuickModel(schema.classes).fit(vectors[labelled],
                                               [gold[keys[i]] for i in labelled]) \
            if labelled else None
        candidates = np.array(pending)
        probs = model.predict_proba(vectors[candidates]) if model else None
        picked = choose(vectors, candidates, np.array(labelled, dtype=np.int64), probs,
                        strategy, limit, seed)
        return [int(i) for i in picked]

    def learning_curve(self, ctx: Ctx, dataset: str, name: str, *,
                       strategy: str = "uncertainty", batch: int = 10,
                       seed: int = 0) -> LearningCurve:
        """Replay labeling with people's labels as the oracle: a fifth of the labeled rows
        is held out to score the quick model after every ``batch`` labels."""
        from sluice.core.labels.active import learning_curve

        if strategy not in CURVE_STRATEGIES:
            raise InvalidInput(f"strategy must be one of {', '.join(CURVE_STRATEGIES)}",
                               code="invalid_strategy")
        if not 1 <= batch <= MAX_QUEUE:
            raise InvalidInput(f"batch must be 1..{MAX_QUEUE}", code="invalid_batch")
        schema = self.schema(ctx, dataset, name)
        table = self.datasets.to_arrow(ctx, dataset, columns=["_key", schema.column])
        keys = table.column("_key").to_pylist()
        gold = self.resolved_labels(ctx, dataset, name)
        rows = [i for i, k in enumerate(keys) if gold.get(k) in schema.classes]
        if len(rows) < 20 or len({gold[keys[i]] for i in rows}) < 2:
            raise InvalidInput("a learning curve needs at least 20 labeled rows of two or "
                               "more classes", code="too_few_labels")
        order = np.random.default_rng(seed).permutation(rows)
        test, pool = order[: len(order) // 5], order[len(order) // 5:]
        vectors = self.vectors(ctx, dataset, name, table)
        curves = {s: learning_curve(vectors[pool], [gold[keys[i]] for i in pool],
                                    schema.classes, strategy=s, test=vectors[test],
                                    test_labels=[gold[keys[i]] for i in test],
                                    batch=batch, seed=seed)
                  for s in (strategy, "random")}
        return LearningCurve(schema_name=name, strategy=strategy, batch=batch,
                             test_rows=len(test), curve=curves[strategy],
                             random=curves["random"])

    def label_issues(self, ctx: Ctx, dataset: str, name: str, *,
                     limit: int = 200) -> LabelIssues:
        """Rows whose label people probably got wrong: cleanlab's confident learning over
        out-of-fold probabilities of embeddings + logistic regression."""
        from cleanlab.filter import find_label_issues
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        schema = self.schema(ctx, dataset, name)
        table = self.datasets.to_arrow(ctx, dataset, columns=["_key", schema.column])
        keys = table.column("_key").to_pylist()
        gold = self.resolved_labels(ctx, dataset, name)
        rows = [i for i, k in enumerate(keys) if gold.get(k) in schema.classes]
        y = np.array([schema.classes.index(gold[keys[i]]) for i in rows])
        counts = np.bincount(y, minlength=len(schema.classes)) if len(y) else np.array([0])
        present = counts[counts > 0]
        if len(present) < 2 or present.min() < 2:
            raise InvalidInput("finding label errors needs at least two labeled rows of "
                               "each of two classes or more", code="too_few_labels")
        folds = int(min(5, present.min()))
        vectors = self.vectors(ctx, dataset, name, table)[rows]
        seen = np.flatnonzero(counts)  # classes people used, in order
        y_seen = np.searchsorted(seen, y)
        probs = cross_val_predict(LogisticRegression(max_iter=1000), vectors, y_seen,
                                  cv=StratifiedKFold(folds, shuffle=True, random_state=0),
                                  method="predict_proba")
        found = find_label_issues(labels=y_seen, pred_probs=probs,
                                  return_indices_ranked_by="self_confidence", n_jobs=1)
        texts = table.column(schema.column)
        issues = [LabelIssue(key=keys[rows[i]], text=_text(texts, rows[i]),
                             given=schema.classes[y[i]],
                             suggested=schema.classes[seen[int(probs[i].argmax())]],
                             quality=float(probs[i, y_seen[i]]))
                  for i in found[:limit]]
        return LabelIssues(schema_name=name, checked=len(rows), folds=folds, issues=issues)

    def vectors(self, ctx: Ctx, dataset: str, name: str, table: pa.Table, *,
                on_progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Embeddings of the schema's texts in ``table``, in its row order."""
        return self.store.vectors(ctx, dataset, name, table, on_progress=on_progress)

    def vectors_missing(self, ctx: Ctx, dataset: str, name: str, table: pa.Table) -> int:
        """How many distinct texts in ``table`` still need embedding (0: ready)."""
        return self.store.missing(ctx, dataset, name, table)

    def prepare_vectors(self, ctx: Ctx, dataset: str, name: str) -> JobInfo:
        """Start the job that embeds the schema's texts, unless one is on its way."""
        return self.store.prepare(ctx, dataset, name)

    def _answer_counts(self, ctx: Ctx, dataset: str,
                       name: str) -> tuple[dict[str, int], set[str], set[str]]:
        """People's answers per item (skips not counted), and the items the caller
        answered and, of those, the ones whose newest answer is a skip."""
        people: dict[str, set[str]] = {}
        mine: dict[str, bool] = {}
        for a in self.annotations(ctx, dataset, name):
            if a.source_kind.value not in PEOPLE:
                continue
            if a.source == ctx.actor.name:
                mine[a.row_key] = a.skipped
            if not a.skipped:
                people.setdefault(a.row_key, set()).add(a.source)
        return ({k: len(v) for k, v in people.items()}, set(mine),
                {k for k, skip in mine.items() if skip})

    # agreement and review
    def agreement(self, ctx: Ctx, dataset: str, name: str) -> Agreement:
        """Agreement between people (each person's newest answer per item)."""
        schema = self.schema(ctx, dataset, name)
        if schema.kind == SchemaKind.SPANS:
            return self._span_agreement(ctx, dataset, schema)
        answers = self.human_answers(ctx, dataset, name)
        annotators = sorted({who for a in answers.values() for who in a})
        per_class = []
        for label in schema.classes:
            if schema.kind == SchemaKind.MULTI:  # each class is its own yes/no question
                member = {item: {who: "yes" if label in v.split(",") else "no"
                                 for who, v in a.items()} for item, a in answers.items()}
                alpha, positive, items = ag.per_class(member, "yes")
            else:
                alpha, positive, items = ag.per_class(answers, label)
            per_class.append(ClassAgreement(label=label, alpha=alpha,
                                            positive_agreement=positive, items=items))
        disagreements = [{"key": k, "answers": a} for k, a in answers.items()
                         if len(set(a.values())) > 1]
        return Agreement(schema_name=name, annotators=annotators,
                         items_compared=sum(1 for a in answers.values() if len(a) >= 2),
                         krippendorff_alpha=ag.krippendorff_alpha(answers),
                         fleiss_kappa=ag.fleiss_kappa(answers, schema.classes),
                         cohen_kappa=ag.cohen_kappa(answers), per_class=per_class,
                         disagreements=disagreements)

    def _span_agreement(self, ctx: Ctx, dataset: str, schema: LabelSchema) -> Agreement:
        """Pairwise F1 of exactly matching spans, overall and per label."""
        spans: dict[str, dict[str, ag.SpanSet]] = {}
        for a in self.annotations(ctx, dataset, schema.name):
            if a.source_kind == SourceKind.HUMAN and not a.skipped:
                spans.setdefault(a.row_key, {})[a.source] = frozenset(
                    (s.start, s.end, s.label) for s in a.spans or [])
        overall, items = ag.span_f1(spans)
        per_class = [ClassAgreement(label=label, positive_agreement=f1, items=n)
                     for label in schema.classes for f1, n in [ag.span_f1(spans, label)]]
        disagreements = [{"key": k, "answers": {who: "; ".join(
            f"{label} [{start}-{end}]" for start, end, label in sorted(v)) or "none"
            for who, v in by.items()}} for k, by in spans.items()
            if len(set(by.values())) > 1]
        return Agreement(schema_name=schema.name,
                         annotators=sorted({who for by in spans.values() for who in by}),
                         items_compared=items, span_f1=overall, per_class=per_class,
                         disagreements=disagreements)

    def human_answers(self, ctx: Ctx, dataset: str, name: str) -> dict[str, dict[str, str]]:
        """item -> person -> label (newest answer each; skips and reviews left out)."""
        answers: dict[str, dict[str, str]] = {}
        for a in self.annotations(ctx, dataset, name):
            if a.source_kind == SourceKind.HUMAN and not a.skipped:
                value = a.label if a.label is not None else ",".join(sorted(a.labels or []))
                answers.setdefault(a.row_key, {})[a.source] = value
        return answers

    def resolve(self, ctx: Ctx, dataset: str, name: str, key: str, label: str | None = None,
                *, adopt: str | None = None) -> Annotation:
        """Settle a disagreement: a reviewer's answer outranks the annotators'. Give the
        class, or ``adopt`` a person's newest answer (any kind of schema: their classes or
        spans become the review's).

        Raises:
            NotFound: ``adopt`` names someone with no answer on this item.
        """
        if adopt is None:
            return self.annotate(ctx, dataset, name, key, label=label,
                                 source_kind=SourceKind.REVIEW)
        theirs = [a for a in self.annotations(ctx, dataset, name, key=key)
                  if a.source == adopt and a.source_kind == SourceKind.HUMAN
                  and not a.skipped]
        if not theirs:
            raise NotFound(f"{adopt} has no answer on {key} to adopt",
                           code="answer_not_found")
        chosen = theirs[-1]
        return self.annotate(ctx, dataset, name, key, label=chosen.label,
                             labels=chosen.labels, spans=chosen.spans,
                             source_kind=SourceKind.REVIEW)

    def resolved_labels(self, ctx: Ctx, dataset: str, name: str) -> dict[str, str]:
        """One class per item of a single-label schema from people: the newest review,
        else the majority of each person's newest answer (ties: the earliest answer
        among the tied classes). Empty for other kinds of schema."""
        schema = self.schema(ctx, dataset, name)
        if schema.kind != SchemaKind.SINGLE:
            return {}
        return self.resolved_values(ctx, dataset, name)

    def resolved_values(self, ctx: Ctx, dataset: str, name: str) -> dict[str, Any]:
        """One label per item from people, of any kind of schema: a class, a list of
        classes, or a list of spans (see :mod:`sluice.core.labels.resolve`)."""
        from sluice.core.labels.resolve import resolve

        schema = self.schema(ctx, dataset, name)
        return resolve(schema.kind, self.annotations(ctx, dataset, name))

    def commit(self, ctx: Ctx, dataset: str, name: str, *, weak: bool = False,
               message: str = "") -> VersionInfo | None:
        """Write the labels as columns ``label_<schema>`` (people's) and, with ``weak``,
        ``weak_<schema>`` and ``weak_<schema>_confidence`` (the label model's) into a new
        dataset version; None when they are already there."""
        from sluice.core.labels.commit import commit_labels

        ctx.require("labels.review", "commit labels")
        self.schema(ctx, dataset, name)
        version = commit_labels(self, ctx, dataset, name, weak=weak,
                                message=message)
        if version is not None:
            self.audit.record(ctx, "labels.commit", f"{dataset}:{name}",
                              version=version.number, weak=weak)
        return version

    # helpers
    def schema_row(self, s: Any, ctx: Ctx, dataset: str, name: str) -> LabelSchemaRow:
        found = s.execute(select(LabelSchemaRow).join(DatasetRow).where(
            LabelSchemaRow.project_id == ctx.project_id, DatasetRow.name == dataset,
            LabelSchemaRow.name == name)).scalars().first()
        if found is None:
            raise NotFound(f"{dataset} has no label schema {name!r}; "
                           "`sluice label schema list` shows them",
                           code="label_schema_not_found",
                           details={"dataset": dataset, "schema": name})
        return found  # type: ignore[no-any-return]

    def text_columns(self, ctx: Ctx, dataset: str) -> builtins.list[str]:
        """The columns a schema on ``dataset`` can label, the default first (``text``, else
        the longest texts)."""
        return text_columns(self.datasets.open(ctx, dataset))


def _check_name(name: str) -> str:
    if not name or len(name) > 128 or not name.replace("_", "").replace("-", "").isalnum():
        raise InvalidInput("a schema name needs 1..128 letters, digits, '_' or '-'",
                           code="invalid_schema_name")
    return name


def _check_classes(classes: builtins.list[str], kind: SchemaKind) -> builtins.list[str]:
    cleaned = [str(c).strip() for c in classes]
    least = 2 if kind == SchemaKind.SINGLE else 1
    if (len(cleaned) < least or len(cleaned) > MAX_CLASSES or len(set(cleaned)) != len(cleaned)
            or any(not c or len(c) > 64 for c in cleaned)):
        raise InvalidInput(f"give {least}..{MAX_CLASSES} distinct class names of 1..64 "
                           "characters", code="invalid_classes")
    return cleaned


def answer_value(schema: LabelSchema, text: str, answer: Answer) -> dict[str, Any]:
    """The stored form of an answer about a row with ``text``.

    Raises:
        InvalidInput: a class outside the schema, spans outside the text, no answer, or a
            confidence outside 0..1.
    """
    if answer.confidence is not None and not 0 <= answer.confidence <= 1:
        raise InvalidInput("confidence must be 0..1", code="invalid_confidence")
    return _value(schema, text, answer.label, answer.labels, answer.spans, answer.skip)


def _value(schema: LabelSchema, text: str, label: str | None, labels: list[str] | None,
           spans: list[Span] | None, skip: bool) -> dict[str, Any]:
    if skip:
        return {"skip": True}
    if schema.kind == SchemaKind.SINGLE:
        if label is None:
            raise InvalidInput("give a label (or skip)", code="missing_label")
        return {"label": _known(schema, label)}
    if schema.kind == SchemaKind.MULTI:
        if labels is None:
            raise InvalidInput("give labels, possibly empty (or skip)", code="missing_label")
        return {"labels": sorted({_known(schema, x) for x in labels})}
    checked = []
    for span in spans or []:
        if not 0 <= span.start < span.end <= len(text):
            raise InvalidInput(f"span {span.start}..{span.end} is outside the text "
                               f"(0..{len(text)})", code="invalid_span")
        checked.append({"start": span.start, "end": span.end,
                        "label": _known(schema, span.label)})
    return {"spans": checked}


def _known(schema: LabelSchema, label: str) -> str:
    if label not in schema.classes:
        raise InvalidInput(f"{label!r} is not a class of {schema.name}; classes: "
                           f"{', '.join(schema.classes)}", code="unknown_class",
                           details={"classes": schema.classes})
    return label


def _text(column: pa.ChunkedArray, i: int) -> str:
    value = column[i].as_py()
    return "" if value is None else str(value)


def _schema(row: LabelSchemaRow, dataset: str) -> LabelSchema:
    return LabelSchema(dataset=dataset, name=row.name, kind=SchemaKind(row.kind),
                       column=row.column, classes=list(row.classes["classes"]),
                       overlap=row.overlap, instructions=row.instructions,
                       created_at=row.created_at, created_by=row.created_by)


def _annotation(row: AnnotationRow) -> Annotation:
    v = row.value
    return Annotation(id=row.id, row_key=row.row_key, label=v.get("label"),
                      labels=v.get("labels"),
                      spans=[Span(**x) for x in v["spans"]] if "spans" in v else None,
                      skipped=bool(v.get("skip")), source_kind=SourceKind(row.source_kind),
                      source=row.source, confidence=row.confidence,
                      dataset_version=row.dataset_version, created_at=row.created_at,
                      retracted=row.retracted_at is not None)
