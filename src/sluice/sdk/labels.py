"""Labeling in the SDK: ``client.labels`` (the same calls locally and over REST)."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING
from urllib.parse import quote

from sluice.core.labels.models import (
    Agreement,
    Annotation,
    LabelSchema,
    Queue,
    SchemaKind,
    Span,
)

if TYPE_CHECKING:
    from sluice.core.context import Ctx
    from sluice.platform import Platform
    from sluice.sdk.remote import Http


class LabelsAPI(ABC):
    """``client.labels``."""

    @abstractmethod
    def create_schema(self, dataset: str, name: str, classes: builtins.list[str], *,
                      kind: SchemaKind = SchemaKind.SINGLE, column: str | None = None,
                      overlap: int = 1, instructions: str = "") -> LabelSchema:
        """What to label in ``dataset``: classes, or span labels for a text column."""

    @abstractmethod
    def schemas(self, dataset: str) -> builtins.list[LabelSchema]: ...

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
    def resolve(self, dataset: str, schema: str, key: str, label: str) -> Annotation:
        """Settle a disagreement as a reviewer."""

    @abstractmethod
    def resolved(self, dataset: str, schema: str) -> dict[str, str]:
        """One label per item from people: the review, else the majority."""


class LocalLabels(LabelsAPI):
    def __init__(self, platform: Platform, ctx: Ctx) -> None:
        self.service = platform.labels
        self.ctx = ctx

    def create_schema(self, dataset: str, name: str, classes: builtins.list[str], *,
                      kind: SchemaKind = SchemaKind.SINGLE, column: str | None = None,
                      overlap: int = 1, instructions: str = "") -> LabelSchema:
        return self.service.create_schema(self.ctx, dataset, name, classes, kind=kind,
                                          column=column, overlap=overlap,
                                          instructions=instructions)

    def schemas(self, dataset: str) -> builtins.list[LabelSchema]:
        return self.service.schemas(self.ctx, dataset)

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

    def resolve(self, dataset: str, schema: str, key: str, label: str) -> Annotation:
        return self.service.resolve(self.ctx, dataset, schema, key, label)

    def resolved(self, dataset: str, schema: str) -> dict[str, str]:
        return self.service.resolved_labels(self.ctx, dataset, schema)


class RemoteLabels(LabelsAPI):
    def __init__(self, http: Http) -> None:
        self.http = http

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

    def resolve(self, dataset: str, schema: str, key: str, label: str) -> Annotation:
        return self.http.model(Annotation, "POST", self._base(dataset, schema) + "/resolve",
                               json={"key": key, "label": label})

    def resolved(self, dataset: str, schema: str) -> dict[str, str]:
        rows = self.http.json("GET", self._base(dataset, schema) + "/resolved")
        return {r["key"]: r["label"] for r in rows}
