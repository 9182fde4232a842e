"""Label schemas, annotations, the queue, undo, agreement and review."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.policy import policy
from sluice.core.datasets import VersionInfo
from sluice.core.jobs import JobInfo
from sluice.core.labels import (
    MAX_ANSWERS,
    Agreement,
    Annotation,
    Answer,
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
)
from sluice.errors import AlreadyExists

router = APIRouter(prefix="/api/v1/datasets/{dataset}/labels", tags=["labels"])


class SchemaCreate(BaseModel):
    name: str
    classes: list[str]
    kind: SchemaKind = SchemaKind.SINGLE
    column: str | None = Field(None, description="Text column; by default one named text, "
                                                 "else the one with the longest texts.")
    overlap: int = Field(1, description="People per item (2 or 3 for agreement).")
    instructions: str = ""


class SchemaChange(BaseModel):
    column: str = Field(description="The text column annotators read and functions vote on.")


class SessionIn(BaseModel):
    answers: list[Answer] = Field(default_factory=list, max_length=MAX_ANSWERS)
    finish: bool = Field(False, description="End the session: commit people's labels "
                                            "into a new dataset version.")


class Resolution(BaseModel):
    key: str
    label: str | None = Field(None, description="The class (single-label schemas).")
    adopt: str | None = Field(None, description="Or: the person whose answer to adopt.")


class ResolvedLabel(BaseModel):
    key: str
    label: str


@router.post("", status_code=201)
def create_schema(dataset: str, body: SchemaCreate, ctx: CtxDep,
                  platform: PlatformDep) -> LabelSchema:
    """Define what to label: classes (single- or multi-label) or span labels."""
    return platform.labels.create_schema(ctx, dataset, body.name, body.classes, kind=body.kind,
                                         column=body.column, overlap=body.overlap,
                                         instructions=body.instructions)


@router.get("")
def list_schemas(dataset: str, ctx: CtxDep, platform: PlatformDep) -> list[LabelSchema]:
    return platform.labels.schemas(ctx, dataset)


@router.get("/{schema}")
def get_schema(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep) -> LabelSchema:
    return platform.labels.schema(ctx, dataset, schema)


@router.patch("/{schema}", openapi_extra=policy(permission="labels.write"))
def change_schema(dataset: str, schema: str, body: SchemaChange, ctx: CtxDep,
                  platform: PlatformDep) -> LabelSchema:
    """Point the schema at another text column (a span schema with answers cannot move)."""
    return platform.labels.set_column(ctx, dataset, schema, body.column)


@router.get("/{schema}/text-columns")
def text_columns(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep) -> list[str]:
    """The columns the schema could label, the default first."""
    platform.labels.schema(ctx, dataset, schema)
    return platform.labels.text_columns(ctx, dataset)


@router.get("/{schema}/queue")
def queue(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep, limit: int = 10,
          order: str = "sequential") -> Queue:
    """The caller's next items to label, with progress. ``order``: sequential, random, or
    an active-learning strategy (uncertainty, margin, entropy, diversity)."""
    return platform.labels.queue(ctx, dataset, schema, limit=limit, order=order)


@router.post("/{schema}/annotations", status_code=201,
             openapi_extra=policy(permission="labels.annotate"))
def annotate(dataset: str, schema: str, body: Answer, ctx: CtxDep,
             platform: PlatformDep) -> Annotation:
    """Record one answer (never overwrites another person's)."""
    return platform.labels.annotate(ctx, dataset, schema, body.key, label=body.label,
                                    labels=body.labels, spans=body.spans, skip=body.skip,
                                    confidence=body.confidence)


@router.post("/{schema}/sessions", status_code=201,
             openapi_extra=policy(permission="labels.annotate"))
def record_answers(dataset: str, schema: str, body: SessionIn, ctx: CtxDep,
                   platform: PlatformDep) -> SessionResult:
    """A labeling session's answers: each bad one is reported and the rest kept; with
    ``finish`` people's labels then go into a new dataset version."""
    return platform.labels.record_answers(ctx, dataset, schema, body.answers,
                                          finish=body.finish)


@router.post("/{schema}/sessions/finish", openapi_extra=policy(permission="labels.annotate"))
def finish_session(dataset: str, schema: str, ctx: CtxDep,
                   platform: PlatformDep) -> VersionInfo | None:
    """End a labeling session: a new dataset version with people's labels; null when
    they are unchanged."""
    return platform.labels.finish_session(ctx, dataset, schema)


@router.get("/{schema}/annotations")
def list_annotations(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep,
                     key: str | None = None) -> list[Annotation]:
    """Every standing answer (of one row with ``key``)."""
    return platform.labels.annotations(ctx, dataset, schema, key=key)


@router.post("/{schema}/undo", openapi_extra=policy(permission="labels.annotate"))
def undo(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep) -> Annotation:
    """Retract the caller's newest answer."""
    return platform.labels.undo(ctx, dataset, schema)


@router.get("/{schema}/agreement")
def agreement(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep) -> Agreement:
    """Krippendorff's alpha, Fleiss' and Cohen's kappa, per-class agreement, disagreements."""
    return platform.labels.agreement(ctx, dataset, schema)


@router.post("/{schema}/resolve", status_code=201, openapi_extra=policy(permission="labels.review"))
def resolve(dataset: str, schema: str, body: Resolution, ctx: CtxDep,
            platform: PlatformDep) -> Annotation:
    """Settle an item: a review answer outranks the annotators'."""
    return platform.labels.resolve(ctx, dataset, schema, body.key, body.label,
                                   adopt=body.adopt)


@router.get("/{schema}/resolved")
def resolved(dataset: str, schema: str, ctx: CtxDep,
             platform: PlatformDep) -> list[ResolvedLabel]:
    """One label per item from people: the review, else the majority."""
    return [ResolvedLabel(key=k, label=v)
            for k, v in platform.labels.resolved_labels(ctx, dataset, schema).items()]


class FunctionCreate(BaseModel):
    name: str
    kind: str = Field(description="keyword, regex, sql, similarity or llm (python functions "
                                  "run in the client and upload their votes).")
    label: str | None = Field(None, description="The class it votes.")
    config: dict[str, Any] = Field(default_factory=dict)


class ApplyRequest(BaseModel):
    names: list[str] | None = Field(None, description="Only these functions (all no-code "
                                                      "ones by default).")


class VotesIn(BaseModel):
    votes: dict[str, str] = Field(description="Row key -> class; absent keys abstained.")
    errors: dict[str, str] = Field(default_factory=dict, description="Row key -> failure.")
    source: str = ""
    seconds: float = 0.0
    rows: int = 0


@router.post("/{schema}/lfs", status_code=201)
def create_function(dataset: str, schema: str, body: FunctionCreate, ctx: CtxDep,
                    platform: PlatformDep) -> LabelingFunction:
    """A no-code labeling function."""
    return platform.labels.functions.create(ctx, dataset, schema, body.name, body.kind,
                                            label=body.label, config=body.config)


@router.get("/{schema}/lfs")
def list_functions(dataset: str, schema: str, ctx: CtxDep,
                   platform: PlatformDep) -> list[LabelingFunction]:
    return platform.labels.functions.list(ctx, dataset, schema)


@router.delete("/{schema}/lfs/{name}", status_code=204)
def delete_function(dataset: str, schema: str, name: str, ctx: CtxDep,
                    platform: PlatformDep) -> Response:
    platform.labels.functions.delete(ctx, dataset, schema, name)
    return Response(status_code=204)


@router.put("/{schema}/lfs/{name}/votes", status_code=204)
def store_votes(dataset: str, schema: str, name: str, body: VotesIn, ctx: CtxDep,
                platform: PlatformDep) -> Response:
    """Votes of a Python function run by the client (created on first upload)."""
    functions = platform.labels.functions
    with contextlib.suppress(AlreadyExists):
        functions.create(ctx, dataset, schema, name, "python", config={"source": body.source})
    functions.store(ctx, dataset, schema, name, Outcome(votes=body.votes, errors=body.errors),
                    seconds=body.seconds, rows=body.rows)
    return Response(status_code=204)


@router.get("/{schema}/lfs/{name}/failures")
def function_failures(dataset: str, schema: str, name: str, ctx: CtxDep,
                      platform: PlatformDep) -> dict[str, str]:
    """Rows where the function failed, with the error (at most 100)."""
    return platform.labels.functions.failures(ctx, dataset, schema, name)


@router.post("/{schema}/apply", status_code=202)
def apply(dataset: str, schema: str, body: ApplyRequest, ctx: CtxDep,
          platform: PlatformDep) -> JobInfo:
    """Start the job running the no-code functions over the newest version (within
    ``lf_apply_seconds`` in all); follow it at /api/v1/jobs/{id}."""
    return platform.labels.functions.start_apply(ctx, dataset, schema, body.names)


@router.get("/{schema}/analysis")
def analysis(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep) -> LFAnalysis:
    """Coverage, overlap, conflict and accuracy on people's labels, per function."""
    return platform.labels.functions.analysis(ctx, dataset, schema)


@router.get("/{schema}/label-model")
def label_model(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep,
                include_labels: bool = False) -> LabelModelReport:
    """Fit the label model on the functions' votes, compare it with majority vote on
    people's labels, and (``include_labels``) give every row's probabilistic label."""
    return platform.labels.functions.label_model(ctx, dataset, schema,
                                                 include_labels=include_labels)


@router.get("/{schema}/learning-curve")
def learning_curve(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep,
                   strategy: str = "uncertainty", batch: int = 10) -> LearningCurve:
    """Accuracy against number of labels for a strategy and for random order, replayed
    with people's labels as the oracle."""
    return platform.labels.learning_curve(ctx, dataset, schema, strategy=strategy,
                                          batch=batch)


class CommitRequest(BaseModel):
    weak: bool = Field(False, description="Also write the label model's labels and "
                                          "confidences for rows some function votes on.")
    message: str = ""


@router.post("/{schema}/commit", openapi_extra=policy(permission="labels.review"))
def commit(dataset: str, schema: str, body: CommitRequest, ctx: CtxDep,
           platform: PlatformDep) -> VersionInfo | None:
    """Write the labels as columns (label_<schema>, weak_<schema>...) into a new dataset
    version; null when nothing changed."""
    return platform.labels.commit(ctx, dataset, schema, weak=body.weak, message=body.message)


@router.get("/{schema}/issues")
def label_issues(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep,
                 limit: int = 200) -> LabelIssues:
    """Likely label errors among people's labels (confident learning), worst first."""
    return platform.labels.label_issues(ctx, dataset, schema, limit=limit)


@router.post("/{schema}/lfs/{name}/run", status_code=202)
def run_llm_function(dataset: str, schema: str, name: str, ctx: CtxDep,
                     platform: PlatformDep) -> JobInfo:
    """Start the job that asks the LLM about each row (an ``llm`` function)."""
    return platform.labels.functions.run_llm(ctx, dataset, schema, name)


@router.post("/{schema}/vectors", status_code=202)
def prepare_vectors(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep) -> JobInfo:
    """Start the job embedding the schema's texts for active learning (or the one already
    running)."""
    return platform.labels.prepare_vectors(ctx, dataset, schema)
