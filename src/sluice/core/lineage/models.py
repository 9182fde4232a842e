"""Lineage nodes, edges and the graph around one of them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class NodeKind(StrEnum):
    FILE = "file"
    DATASET = "dataset"
    VIEW = "view"
    LABELS = "labels"
    RUN = "run"
    MODEL_VERSION = "model_version"
    ALIAS = "alias"
    EXTERNAL = "external"


class Relation(StrEnum):
    """Read an edge as "source relation target"."""

    DERIVED_FROM = "derived_from"  # a version from its parents and source files
    LABELED_BY = "labeled_by"  # a version from the label set written into it
    TRAINED_ON = "trained_on"  # a run from its input data
    PRODUCED = "produced"  # a run to the model version registered from it
    POINTS_TO = "points_to"  # an alias to its model version

    @property
    def upstream_is_target(self) -> bool:
        """Whether following this edge to its target goes towards the origins."""
        return self != Relation.PRODUCED


class Direction(StrEnum):
    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"
    BOTH = "both"


class LineageNode(BaseModel):
    id: str
    kind: NodeKind
    label: str
    attrs: dict[str, Any] = Field(default_factory=dict)
    href: str | None = Field(None, description="this server's page for it, if it has one")
    depth: int = Field(0, description="steps from the root: negative upstream, positive "
                                      "downstream")


class LineageEdge(BaseModel):
    source: str
    target: str
    relation: Relation


class LineageGraph(BaseModel):
    root: str
    direction: Direction
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    truncated: bool = Field(False, description="more nodes lie beyond the depth or limit")

    def of_kind(self, kind: NodeKind) -> list[LineageNode]:
        return [n for n in self.nodes if n.kind == kind]
