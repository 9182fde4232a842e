"""Labeling functions: define, apply (no-code kinds run here; Python ones run in the
client, which uploads their votes), and analyse against what people labeled."""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from sluice.core.context import Ctx
from sluice.core.labels.models import (
    LabelingFunction,
    LabelModelReport,
    LFAnalysis,
    ProbabilisticLabel,
)
from sluice.core.labels.rules import (
    Deadline,
    Outcome,
    apply_text_rule,
    check_config,
    text_rule,
)
from sluice.core.sql.predicates import one_expression
from sluice.errors import AlreadyExists, Cancelled, InvalidInput, NotFound, SluiceError
from sluice.ids import new_id, utcnow
from sluice.storage.metadata.schema import LabelingFunctionRow, LabelVoteRow

if TYPE_CHECKING:
    from sluice.core.jobs.context import JobContext
    from sluice.core.jobs.models import JobInfo
    from sluice.core.labels.service import LabelService

SERVER_KINDS = ("keyword", "regex", "sql", "similarity")


class LabelingFunctions:
    def __init__(self, labels: LabelService) -> None:
        self.db = labels.db
        self.labels = labels

    def create(self, ctx: Ctx, dataset: str, schema: str, name: str, kind: str, *,
               label: str | None = None, config: dict[str, Any] | None = None
               ) -> LabelingFunction:
        """Raises InvalidInput (bad kind, config or class) or AlreadyExists."""
        ctx.require("labels.write", "create labeling functions")
        found = self.labels.schema(ctx, dataset, schema)
        config = check_config(kind, config or {})
        if kind not in ("python", "llm") and label not in found.classes:
            raise InvalidInput(f"{label!r} is not a class of {schema}; classes: "
                               f"{', '.join(found.classes)}", code="unknown_class")
        if not name or len(name) > 128:
            raise InvalidInput("a function name needs 1..128 characters",
                               code="invalid_lf_name")
        if kind == "similarity":
            self._check_examples(ctx, dataset, config["examples"])
        with self.db.session() as s:
            schema_row = self.labels.schema_row(s, ctx, dataset, schema)
            row = LabelingFunctionRow(id=new_id(), schema_id=schema_row.id, name=name,
                                      kind=kind, label=label, config=config,
                                      created_at=utcnow(), created_by=ctx.actor.name,
                                      applied={})
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise AlreadyExists(f"{schema} already has a labeling function {name!r}",
                                    code="lf_exists") from None
            created = _lf(row)
        self.labels.audit.record(ctx, "labels.function.create", f"{dataset}:{schema}:{name}",
                                 kind=kind, label=label)
        return created

    def list(self, ctx: Ctx, dataset: str, schema: str) -> builtins.list[LabelingFunction]:
        with self.db.reader() as s:
            schema_row = self.labels.schema_row(s, ctx, dataset, schema)
            rows = s.scalars(select(LabelingFunctionRow).where(
                LabelingFunctionRow.schema_id == schema_row.id)
                .order_by(LabelingFunctionRow.created_at))
            return [_lf(r) for r in rows]

    def delete(self, ctx: Ctx, dataset: str, schema: str, name: str) -> None:
        ctx.require("labels.write", "delete labeling functions")
        with self.db.session() as s:
            row = self._row(s, ctx, dataset, schema, name)
            s.execute(delete(LabelVoteRow).where(LabelVoteRow.lf_id == row.id))
            s.delete(row)
        self.labels.audit.record(ctx, "labels.function.delete", f"{dataset}:{schema}:{name}")

    def start_apply(self, ctx: Ctx, dataset: str, schema: str,
                    names: builtins.list[str] | None = None) -> JobInfo:
        """Start the job running the no-code functions (all, or ``names``) over the newest
        version, within ``lf_apply_seconds`` in all."""
        from sluice.core.labels.apply import KIND_APPLY

        ctx.require("labels.write", "apply labeling functions")
        self._chosen(ctx, dataset, schema, names)  # unknown names fail now, not in the job
        return self.labels.jobs.submit(ctx, KIND_APPLY, {
            "dataset": dataset, "schema": schema, "names": names or None})

    def apply(self, ctx: Ctx, dataset: str, schema: str,
              names: builtins.list[str] | None = None, *,
              job: JobContext | None = None) -> builtins.list[LabelingFunction]:
        """Run the no-code functions over the newest version (the body of the apply job).
        A function that fails as a whole, or is not done when the budget runs out, keeps
        its last votes and records why; the others go on."""
        ctx.require("labels.write", "apply labeling functions")
        found = self.labels.schema(ctx, dataset, schema)
        chosen = self._chosen(ctx, dataset, schema, names)
        table = self.labels.datasets.to_arrow(ctx, dataset, columns=["_key", found.column])
        keys = table.column("_key").to_pylist()
        version = self.labels.datasets.version(ctx, dataset).number
        deadline = Deadline(self.labels.settings.lf_apply_seconds)

        def check() -> None:
            if job is not None:
                job.check_cancelled()
            deadline.check()

        for i, fn in enumerate(chosen):
            started = time.perf_counter()
            try:
                check()
                outcome = self._evaluate(ctx, dataset, schema, fn, table, deadline, check)
            except Cancelled:
                raise
            except SluiceError as exc:
                self._record_error(ctx, dataset, schema, fn.name, version, exc)
                continue
            self.store(ctx, dataset, schema, fn.name, outcome, version=version,
                       seconds=time.perf_counter() - started, rows=len(keys))
            if job is not None:
                job.progress(i + 1, len(chosen), f"{i + 1} of {len(chosen)} functions applied")
        return self.list(ctx, dataset, schema)

    def _chosen(self, ctx: Ctx, dataset: str, schema: str,
                names: builtins.list[str] | None) -> builtins.list[LabelingFunction]:
        chosen = [f for f in self.list(ctx, dataset, schema)
                  if f.kind in SERVER_KINDS and (not names or f.name in names)]
        if names and len(chosen) != len(set(names)):
            missing = set(names) - {f.name for f in chosen}
            raise NotFound(f"no no-code labeling function {sorted(missing)} in {schema}",
                           code="lf_not_found")
        return chosen

    def _check_examples(self, ctx: Ctx, dataset: str, examples: builtins.list[str]) -> None:
        missing = []
        for key in examples:
            try:
                self.labels.datasets.row(ctx, dataset, key)
            except NotFound:
                missing.append(key)
        if missing:
            raise InvalidInput(f"example rows not in {dataset}: {missing[:3]}; the "
                               "annotation page shows each item's key",
                               code="invalid_lf_config")

    def _record_error(self, ctx: Ctx, dataset: str, schema: str, name: str, version: int,
                      exc: SluiceError) -> None:
        """Keep the function's last votes; note why this run of it failed."""
        with self.db.session() as s:
            schema_row = self.labels.schema_row(s, ctx, dataset, schema)
            row = s.scalars(select(LabelingFunctionRow).where(
                LabelingFunctionRow.schema_id == schema_row.id,
                LabelingFunctionRow.name == name)).one()
            row.applied = {**row.applied, "error": f"{exc.code}: {exc.message}"[:500],
                           "failed_version": version}

    def run_llm(self, ctx: Ctx, dataset: str, schema: str, name: str) -> JobInfo:
        """Start the job that asks the LLM about each row (up to the function's max_rows)."""
        from sluice.core.labels.zeroshot import KIND_LLM

        ctx.require("labels.write", "apply labeling functions")
        fn = next((f for f in self.list(ctx, dataset, schema) if f.name == name), None)
        if fn is None or fn.kind != "llm":
            raise NotFound(f"{schema} has no llm labeling function {name!r}",
                           code="lf_not_found")
        return self.labels.jobs.submit(ctx, KIND_LLM, {"dataset": dataset,
                                                         "schema": schema, "name": name})

    def _evaluate(self, ctx: Ctx, dataset: str, schema: str, fn: LabelingFunction,
                  table: pa.Table, deadline: Deadline, check: Callable[[], None]) -> Outcome:
        assert fn.label is not None
        keys = table.column("_key").to_pylist()
        texts = [t or "" for t in table.column(1).to_pylist()]
        if fn.kind in ("keyword", "regex"):
            return apply_text_rule(text_rule(fn.kind, fn.config), fn.label, keys, texts, check)
        if fn.kind == "sql":
            return self._sql(ctx, dataset, fn, deadline, check)
        return self._similarity(ctx, dataset, schema, fn, table, check)

    def _sql(self, ctx: Ctx, dataset: str, fn: LabelingFunction, deadline: Deadline,
             check: Callable[[], None]) -> Outcome:
        page = self.labels.settings.sql_max_rows
        votes: dict[str, str] = {}
        offset = 0
        predicate = one_expression(fn.config["predicate"], code="invalid_lf_config")
        while True:  # the predicate runs as the user's read-only, bounded SQL, page by page
            check()
            query = (f'SELECT _key FROM "{dataset}" WHERE ({predicate}) '
                     f"ORDER BY _key LIMIT {page} OFFSET {offset}")
            found = self.labels.sql.query(ctx, query, limit=page,
                                            timeout=max(0.1, deadline.left())
                                            ).table.column(0).to_pylist()
            votes.update({k: str(fn.label) for k in found})
            if len(found) < page:
                return Outcome(votes=votes)
            offset += page

    def _similarity(self, ctx: Ctx, dataset: str, schema: str, fn: LabelingFunction,
                    table: pa.Table, check: Callable[[], None]) -> Outcome:
        keys = table.column("_key").to_pylist()
        index = {k: i for i, k in enumerate(keys)}
        missing = [k for k in fn.config["examples"] if k not in index]
        if missing:
            raise InvalidInput(f"example rows not in {dataset}: {missing[:3]}",
                               code="invalid_lf_config")
        vectors = self.labels.vectors(ctx, dataset, schema, table,
                                      on_progress=lambda done, total: check())
        centroid = vectors[[index[k] for k in fn.config["examples"]]].mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        scores = vectors @ centroid
        return Outcome(votes={k: str(fn.label) for k, score in zip(keys, scores, strict=True)
                              if score >= fn.config["threshold"]})

    def store(self, ctx: Ctx, dataset: str, schema: str, name: str, outcome: Outcome, *,
              version: int | None = None, seconds: float = 0.0, rows: int = 0) -> None:
        """Replace a function's votes and failures (Python functions upload them here)."""
        ctx.require("labels.write", "store labeling function votes")
        found = self.labels.schema(ctx, dataset, schema)
        unknown = {v for v in outcome.votes.values() if v not in found.classes}
        if unknown:
            raise InvalidInput(f"votes for unknown classes {sorted(unknown)}",
                               code="unknown_class")
        version = version or self.labels.datasets.version(ctx, dataset).number
        with self.db.session() as s:
            row = self._row(s, ctx, dataset, schema, name)
            s.execute(delete(LabelVoteRow).where(LabelVoteRow.lf_id == row.id))
            payload = [{"lf_id": row.id, "row_key": k, "vote": v, "error": None}
                       for k, v in outcome.votes.items()]
            payload += [{"lf_id": row.id, "row_key": k, "vote": None, "error": e[:1000]}
                        for k, e in outcome.errors.items() if k not in outcome.votes]
            if payload:
                s.execute(insert(LabelVoteRow), payload)
            row.applied = {"version": version, "votes": len(outcome.votes),
                           "failures": len(outcome.errors), "rows": rows,
                           "ms": round(seconds * 1000, 1), "at": utcnow().isoformat()}

    def failures(self, ctx: Ctx, dataset: str, schema: str, name: str,
                 limit: int = 100) -> dict[str, str]:
        with self.db.reader() as s:
            row = self._row(s, ctx, dataset, schema, name)
            found = s.execute(select(LabelVoteRow.row_key, LabelVoteRow.error).where(
                LabelVoteRow.lf_id == row.id, LabelVoteRow.error.is_not(None)).limit(limit))
            return {k: e for k, e in found if e}

    def matrix(self, ctx: Ctx, dataset: str, schema: str
               ) -> tuple[builtins.list[str], builtins.list[str], np.ndarray]:
        """(row keys, function names, votes as class indexes with -1 for abstain)."""
        found = self.labels.schema(ctx, dataset, schema)
        keys = self.labels.datasets.to_arrow(ctx, dataset, columns=["_key"]) \
            .column("_key").to_pylist()
        functions = self.list(ctx, dataset, schema)
        index = {k: i for i, k in enumerate(keys)}
        classes = {c: i for i, c in enumerate(found.classes)}
        votes = np.full((len(keys), len(functions)), -1, dtype=np.int64)
        with self.db.reader() as s:
            schema_row = self.labels.schema_row(s, ctx, dataset, schema)
            ids = {r.id: j for j, r in enumerate(s.scalars(select(LabelingFunctionRow).where(
                LabelingFunctionRow.schema_id == schema_row.id)
                .order_by(LabelingFunctionRow.created_at)))}
            for lf_id, key, vote in s.execute(select(
                    LabelVoteRow.lf_id, LabelVoteRow.row_key, LabelVoteRow.vote)
                    .where(LabelVoteRow.lf_id.in_(list(ids)), LabelVoteRow.vote.is_not(None))):
                if key in index and vote in classes:
                    votes[index[key], ids[lf_id]] = classes[vote]
        return keys, [f.name for f in functions], votes

    def analysis(self, ctx: Ctx, dataset: str, schema: str) -> LFAnalysis:
        from sluice.core.labels.analysis import analyse

        found = self.labels.schema(ctx, dataset, schema)
        keys, _, votes = self.matrix(ctx, dataset, schema)
        functions = self.list(ctx, dataset, schema)
        gold = self.labels.resolved_labels(ctx, dataset, schema)
        return analyse(found.name, found.classes, keys, functions, votes, gold,
                       failures=[int(f.applied.get("failures", 0)) for f in functions])

    def label_model(self, ctx: Ctx, dataset: str, schema: str, *,
                    include_labels: bool = False) -> LabelModelReport:
        """Fit the label model on the functions' votes, and on people's labels where they
        help (``semisupervised.py``); compare it with majority vote on the rows people
        labeled; optionally return every row's probabilistic label."""
        from sluice.core.labels.analysis import majority_accuracy
        from sluice.core.labels.semisupervised import fit_label_model

        found = self.labels.schema(ctx, dataset, schema)
        keys, names, votes = self.matrix(ctx, dataset, schema)
        if not names:
            raise InvalidInput("no labeling functions yet: create and apply some first",
                               code="no_labeling_functions")
        people = self.labels.resolved_labels(ctx, dataset, schema)
        gold = np.array([found.classes.index(people[k]) if people.get(k) in found.classes
                         else -1 for k in keys], dtype=np.int64)
        rows = np.flatnonzero(gold >= 0)
        fitted = fit_label_model(votes, gold, len(found.classes))
        probs = fitted.model.predict_proba(votes)
        fired = (votes != -1).sum(axis=1)
        balance = fitted.model.class_balance_()
        report = LabelModelReport(
            schema_name=found.name, rows=len(keys), labeled_by_people=len(rows),
            functions={n: (None if np.isnan(a) else float(a))
                       for n, a in zip(names, fitted.model.accuracies(votes), strict=True)},
            label_model_accuracy=fitted.accuracy,
            majority_vote_accuracy=majority_accuracy(votes, gold, len(found.classes)),
            coverage=float((fired > 0).mean()) if len(keys) else 0.0,
            setting=fitted.setting.name,
            class_balance={c: float(b) for c, b in zip(found.classes, balance, strict=True)})
        if include_labels:
            best = probs.argmax(axis=1)
            report.labels = [ProbabilisticLabel(key=k, label=found.classes[int(best[i])],
                                                confidence=float(probs[i, best[i]]),
                                                votes=int(fired[i]))
                             for i, k in enumerate(keys)]
        return report

    def _row(self, s: Any, ctx: Ctx, dataset: str, schema: str,
             name: str) -> LabelingFunctionRow:
        schema_row = self.labels.schema_row(s, ctx, dataset, schema)
        row = s.scalars(select(LabelingFunctionRow).where(
            LabelingFunctionRow.schema_id == schema_row.id,
            LabelingFunctionRow.name == name)).first()
        if row is None:
            raise NotFound(f"{schema} has no labeling function {name!r}",
                           code="lf_not_found", details={"name": name})
        return row  # type: ignore[no-any-return]


def _lf(row: LabelingFunctionRow) -> LabelingFunction:
    return LabelingFunction(name=row.name, kind=row.kind, label=row.label, config=row.config,
                            created_by=row.created_by, created_at=row.created_at,
                            applied=dict(row.applied or {}))
