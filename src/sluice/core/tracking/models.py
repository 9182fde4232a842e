"""What tracking returns: experiments, runs with their latest metrics, artifacts, models."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"


class Experiment(BaseModel):
    id: str
    name: str
    lifecycle_stage: str = "active"
    tags: dict[str, str] = Field(default_factory=dict)
    created_ms: int
    updated_ms: int
    artifact_uri: str


class Metric(BaseModel):
    model_config = ConfigDict(ser_json_inf_nan="strings")

    key: str
    value: float = Field(description="NaN and infinities are allowed (in JSON as the strings "
                                     "\"NaN\", \"Infinity\", \"-Infinity\").")
    step: int = 0
    timestamp: int = 0
    model_id: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _null_is_nan(cls, value: Any) -> Any:
        return math.nan if value is None else value


class RunInput(BaseModel):
    """A dataset the run read. For Sluice datasets ``source`` is ``sluice:NAME@vN``."""

    name: str
    digest: str = ""
    source_type: str = "sluice"
    source: str = ""
    context: str = ""
    details: dict[str, Any] = Field(default_factory=dict)


class Run(BaseModel):
    id: str
    experiment_id: str
    name: str
    status: RunStatus
    lifecycle_stage: str = "active"
    user: str
    start_ms: int
    end_ms: int | None = None
    parent_id: str | None = None
    params: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, Metric] = Field(default_factory=dict, description="Latest values.")
    tags: dict[str, str] = Field(default_factory=dict)
    inputs: list[RunInput] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=list, description="Logged model ids.")
    artifact_uri: str

    @property
    def artifact_root(self) -> str:
        return f"{self.experiment_id}/{self.id}/artifacts"


class RunPage(BaseModel):
    runs: list[Run]
    next_page_token: str | None = None


class MetricPage(BaseModel):
    metrics: list[Metric]
    next_page_token: str | None = None


class ArtifactEntry(BaseModel):
    path: str = Field(description="Relative to the run's (or model's) artifact root.")
    is_dir: bool
    size: int | None = None


class LoggedModel(BaseModel):
    id: str
    experiment_id: str
    name: str
    source_run_id: str | None = None
    model_type: str | None = None
    status: str
    status_message: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    metrics: list[Metric] = Field(default_factory=list)
    created_ms: int
    updated_ms: int

    @property
    def artifact_root(self) -> str:
        return f"{self.experiment_id}/models/{self.id}/artifacts"
