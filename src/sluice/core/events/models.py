"""The domain events: what happened, typed, as subscribers and the lineage graph read it.

Each event class names its ``kind`` and how its ``subject`` reads; the payload is the
model's fields. Refs are ``name@N`` (datasets and views), run ids, ``name/vN`` (model
versions) and SHA-256 digests (source files).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from sluice.errors import InvalidInput


class DomainEvent(BaseModel):
    kind: ClassVar[str]

    def subject(self) -> str:
        raise NotImplementedError


class SourceFile(BaseModel):
    uri: str
    digest: str


class DatasetCommitted(DomainEvent):
    """A dataset version was recorded (ingest, append, delete, restore, redact...)."""

    kind: ClassVar[str] = "dataset.committed"
    dataset: str
    version: int
    dataset_kind: str
    operation: str
    row_count: int
    job_id: str | None = None
    parents: list[str] = Field(default_factory=list, description="dataset refs it came from")
    files: list[SourceFile] = Field(default_factory=list, description="source files read")

    def subject(self) -> str:
        return f"{self.dataset}@{self.version}"


class ViewSynced(DatasetCommitted):
    """A view version was recorded from a version of its source dataset."""

    kind: ClassVar[str] = "view.synced"
    source: str = Field(description="the source dataset version, name@N")


class LabelsCommitted(DatasetCommitted):
    """Labels were written into a dataset version, with where they came from."""

    kind: ClassVar[str] = "labels.committed"
    schema_name: str
    annotators: list[str] = Field(default_factory=list)
    functions: list[str] = Field(default_factory=list)
    label_model: bool = False


class RunSource(BaseModel):
    """An input a run logged: its name and where it came from (``sluice:name@vN`` for a
    dataset version, anything else for outside data)."""

    name: str
    source: str


class RunEvent(DomainEvent):
    """Something that happened to a run (its subject is ``run:ID``)."""

    run_id: str
    name: str

    def subject(self) -> str:
        return f"run:{self.run_id}"


class RunStarted(RunEvent):
    kind: ClassVar[str] = "run.started"
    experiment_id: str


class RunFinished(RunEvent):
    kind: ClassVar[str] = "run.finished"
    status: str
    inputs: list[RunSource] = Field(default_factory=list)


class RunInputsLogged(RunEvent):
    """Inputs a run logged (the data it read)."""

    kind: ClassVar[str] = "run.inputs"
    inputs: list[RunSource]


class ModelVersionCreated(DomainEvent):
    kind: ClassVar[str] = "model.version_created"
    model: str
    version: int
    run_id: str | None
    source: str

    def subject(self) -> str:
        return f"model:{self.model}/v{self.version}"


class AliasMoved(DomainEvent):
    kind: ClassVar[str] = "model.alias_moved"
    model: str
    alias: str
    from_version: int | None
    to_version: int | None

    def subject(self) -> str:
        return f"model:{self.model}@{self.alias}"


class JobFinished(DomainEvent):
    kind: ClassVar[str] = "job.finished"
    job_id: str
    job_kind: str
    state: str

    def subject(self) -> str:
        return f"job:{self.job_id}"


KINDS: dict[str, type[DomainEvent]] = {cls.kind: cls for cls in (
    DatasetCommitted, ViewSynced, LabelsCommitted, RunStarted, RunFinished, RunInputsLogged,
    ModelVersionCreated, AliasMoved, JobFinished)}


class Event(BaseModel):
    """One entry of the log as read back."""

    id: int
    at: datetime
    project_id: str | None
    kind: str
    subject: str
    actor: str
    payload: dict[str, Any]

    def typed(self) -> DomainEvent:
        """The payload as its event class. Raises InvalidInput (``unknown_event_kind``) for
        a kind this version does not know (subscribers only ever get the kinds they name)."""
        if self.kind not in KINDS:
            raise InvalidInput(f"unknown event kind {self.kind!r}", code="unknown_event_kind")
        return KINDS[self.kind].model_validate(self.payload)


class SubscriberState(BaseModel):
    name: str
    kinds: list[str]
    position: int
    lag: int = Field(description="events of its kinds after its position")
    failures: int
    last_error: str | None
    retry_at: datetime | None
