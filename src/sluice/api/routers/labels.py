"""Label schemas, annotations, the queue, undo, agreement and review."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from sluice.api.deps import CtxDep, PlatformDep
from sluice.core.labels.models import (
    Agreement,
    Annotation,
    LabelSchema,
    Queue,
    SchemaKind,
    Span,
)

router = APIRouter(prefix="/api/v1/datasets/{dataset}/labels", tags=["labels"])


class SchemaCreate(BaseModel):
    name: str
    classes: list[str]
    kind: SchemaKind = SchemaKind.SINGLE
    column: str | None = Field(None, description="Text column; the first one by default.")
    overlap: int = Field(1, description="People per item (2 or 3 for agreement).")
    instructions: str = ""


class AnswerIn(BaseModel):
    key: str
    label: str | None = None
    labels: list[str] | None = None
    spans: list[Span] | None = None
    skip: bool = False
    confidence: float | None = None


class Resolution(BaseModel):
    key: str
    label: str


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


@router.get("/{schema}/queue")
def queue(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep, limit: int = 10,
          order: str = "sequential") -> Queue:
    """The caller's next items to label, with progress."""
    return platform.labels.queue(ctx, dataset, schema, limit=limit, order=order)


@router.post("/{schema}/annotations", status_code=201)
def annotate(dataset: str, schema: str, body: AnswerIn, ctx: CtxDep,
             platform: PlatformDep) -> Annotation:
    """Record one answer (never overwrites another person's)."""
    return platform.labels.annotate(ctx, dataset, schema, body.key, label=body.label,
                                    labels=body.labels, spans=body.spans, skip=body.skip,
                                    confidence=body.confidence)


@router.get("/{schema}/annotations")
def list_annotations(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep,
                     key: str | None = None) -> list[Annotation]:
    """Every standing answer (of one row with ``key``)."""
    return platform.labels.annotations(ctx, dataset, schema, key=key)


@router.post("/{schema}/undo")
def undo(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep) -> Annotation:
    """Retract the caller's newest answer."""
    return platform.labels.undo(ctx, dataset, schema)


@router.get("/{schema}/agreement")
def agreement(dataset: str, schema: str, ctx: CtxDep, platform: PlatformDep) -> Agreement:
    """Krippendorff's alpha, Fleiss' and Cohen's kappa, per-class agreement, disagreements."""
    return platform.labels.agreement(ctx, dataset, schema)


@router.post("/{schema}/resolve", status_code=201)
def resolve(dataset: str, schema: str, body: Resolution, ctx: CtxDep,
            platform: PlatformDep) -> Annotation:
    """Settle an item: a review answer outranks the annotators'."""
    return platform.labels.resolve(ctx, dataset, schema, body.key, body.label)


@router.get("/{schema}/resolved")
def resolved(dataset: str, schema: str, ctx: CtxDep,
             platform: PlatformDep) -> list[ResolvedLabel]:
    """One label per item from people: the review, else the majority."""
    return [ResolvedLabel(key=k, label=v)
            for k, v in platform.labels.resolved_labels(ctx, dataset, schema).items()]
