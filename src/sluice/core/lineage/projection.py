"""Events into lineage nodes and edges (the ``lineage`` subscriber).

Every write is an upsert keyed by the node id or the edge (source, target, relation), so an
event delivered twice changes nothing the second time.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from sluice.core.events.models import (
    AliasMoved,
    DatasetCommitted,
    Event,
    LabelsCommitted,
    ModelVersionCreated,
    RunFinished,
    RunInputsLogged,
    RunSource,
    RunStarted,
    ViewSynced,
)
from sluice.core.lineage.models import NodeKind, Relation
from sluice.storage.metadata.database import Database
from sluice.storage.metadata.schema import LineageEdgeRow, LineageNodeRow

KINDS = tuple(cls.kind for cls in (DatasetCommitted, ViewSynced, LabelsCommitted, RunStarted,
                                   RunFinished, RunInputsLogged, ModelVersionCreated,
                                   AliasMoved))
_SLUICE_INPUT = re.compile(r"^sluice:([A-Za-z0-9_.-]+)@v?(\d+)$")


def dataset_id(project: str, ref: str) -> str:
    return f"d:{project}:{ref}"


def file_id(project: str, digest: str) -> str:
    return f"f:{project}:{digest}"


def run_id(run: str) -> str:
    return f"r:{run}"


def model_version_id(project: str, model: str, version: int) -> str:
    return f"m:{project}:{model}/v{version}"


def alias_id(project: str, model: str, alias: str) -> str:
    return f"a:{project}:{model}@{alias}"


def input_id(project: str, item: RunSource) -> tuple[str, NodeKind, str]:
    """The node a run input names: a dataset version (``sluice:name@N``) or outside data
    (named as the run named it; where it came from is kept as text, never a link)."""
    found = _SLUICE_INPUT.match(item.source)
    if found:
        ref = f"{found.group(1)}@{found.group(2)}"
        return dataset_id(project, ref), NodeKind.DATASET, ref
    return f"x:{project}:{item.source[:400]}", NodeKind.EXTERNAL, item.name[:200]


class Projection:
    def __init__(self, db: Database) -> None:
        self.db = db

    def handle(self, event: Event) -> None:
        typed = event.typed()
        project = event.project_id or "-"
        with self.db.session() as s:
            writer = _Writer(s, project, event.id)
            if isinstance(typed, DatasetCommitted):
                writer.version(typed)
            elif isinstance(typed, RunStarted):
                writer.node(run_id(typed.run_id), NodeKind.RUN, typed.name,
                            {"status": "RUNNING", "experiment_id": typed.experiment_id})
            elif isinstance(typed, RunFinished | RunInputsLogged):
                writer.run_inputs(typed)
            elif isinstance(typed, ModelVersionCreated):
                writer.model_version(typed)
            elif isinstance(typed, AliasMoved):
                writer.alias(typed)


class _Writer:
    def __init__(self, s: Session, project: str, event_id: int) -> None:
        self.s, self.project, self.event_id = s, project, event_id

    def node(self, node_id: str, kind: NodeKind, label: str,
             attrs: dict[str, Any] | None = None, *, placeholder: bool = False) -> None:
        """Create the node, or update it (a placeholder never overwrites what is known)."""
        row = self.s.get(LineageNodeRow, node_id)
        if row is None:
            self.s.add(LineageNodeRow(id=node_id, project_id=self.project, kind=kind,
                                      label=label[:512], attrs=attrs or {},
                                      event_id=self.event_id))
            self.s.flush()
        elif not placeholder:
            row.kind, row.label = kind, label[:512]
            row.attrs = {**(row.attrs or {}), **(attrs or {})}

    def edge(self, source: str, target: str, relation: Relation) -> None:
        if self.s.get(LineageEdgeRow, (source, target, relation)) is None:
            self.s.add(LineageEdgeRow(source=source, target=target, relation=relation,
                                      event_id=self.event_id))
            self.s.flush()

    def version(self, event: DatasetCommitted) -> None:
        kind = NodeKind.VIEW if event.dataset_kind == "view" else NodeKind.DATASET
        me = dataset_id(self.project, event.subject())
        self.node(me, kind, event.subject(), {
            "dataset": event.dataset, "version": event.version, "operation": event.operation,
            "rows": event.row_count, "job_id": event.job_id})
        for parent in event.parents:
            same = parent.rsplit("@", 1)[0] == event.dataset
            self.node(dataset_id(self.project, parent), kind if same else NodeKind.DATASET,
                      parent, {"dataset": parent.rsplit("@", 1)[0]}, placeholder=True)
            self.edge(me, dataset_id(self.project, parent), Relation.DERIVED_FROM)
        for f in event.files:
            node = file_id(self.project, f.digest)
            self.node(node, NodeKind.FILE, f.uri.rsplit("/", 1)[-1] or f.uri,
                      {"uri": f.uri, "sha256": f.digest})
            self.edge(me, node, Relation.DERIVED_FROM)
        if isinstance(event, LabelsCommitted):
            labels = f"l:{self.project}:{event.subject()}:{event.schema_name}"
            self.node(labels, NodeKind.LABELS, f"{event.schema_name} labels", {
                "dataset": event.dataset, "schema": event.schema_name,
                "annotators": event.annotators, "functions": event.functions,
                "label_model": event.label_model})
            self.edge(me, labels, Relation.LABELED_BY)

    def run_inputs(self, event: RunFinished | RunInputsLogged) -> None:
        me = run_id(event.run_id)
        attrs = {"status": event.status} if isinstance(event, RunFinished) else {}
        self.node(me, NodeKind.RUN, event.name, attrs)
        for item in event.inputs:
            node, kind, label = input_id(self.project, item)
            self.node(node, kind, label, {"source": item.source}, placeholder=True)
            self.edge(me, node, Relation.TRAINED_ON)

    def model_version(self, event: ModelVersionCreated) -> None:
        me = model_version_id(self.project, event.model, event.version)
        self.node(me, NodeKind.MODEL_VERSION, f"{event.model} v{event.version}", {
            "model": event.model, "version": event.version, "source": event.source})
        if event.run_id:
            self.node(run_id(event.run_id), NodeKind.RUN, event.run_id[:8], placeholder=True)
            self.edge(run_id(event.run_id), me, Relation.PRODUCED)

    def alias(self, event: AliasMoved) -> None:
        me = alias_id(self.project, event.model, event.alias)
        self.node(me, NodeKind.ALIAS, f"{event.model}@{event.alias}",
                  {"model": event.model, "alias": event.alias})
        self.s.execute(delete(LineageEdgeRow).where(LineageEdgeRow.source == me,
                                                    LineageEdgeRow.relation == Relation.POINTS_TO))
        if event.to_version is not None:
            target = model_version_id(self.project, event.model, event.to_version)
            self.node(target, NodeKind.MODEL_VERSION, f"{event.model} v{event.to_version}",
                      {"model": event.model, "version": event.to_version}, placeholder=True)
            self.edge(me, target, Relation.POINTS_TO)
