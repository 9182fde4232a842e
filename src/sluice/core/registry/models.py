"""What the registry returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelVersion(BaseModel):
    name: str
    version: int
    source: str
    run_id: str | None = None
    logged_model_id: str | None = None
    status: str = "READY"
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    aliases: list[str] = Field(default_factory=list)
    created_ms: int
    updated_ms: int
    created_by: str


class RegisteredModel(BaseModel):
    name: str
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    aliases: dict[str, int] = Field(default_factory=dict)
    latest_version: int | None = None
    created_ms: int
    updated_ms: int
    created_by: str


class AliasChange(BaseModel):
    """One alias move, from the audit log: who, when, from which version to which."""

    at: str
    actor: str
    alias: str
    from_version: int | None = None
    to_version: int | None = None


class ModelCard(BaseModel):
    name: str
    version: int
    description: str
    intended_use: str
    format: str
    safe_format: bool
    aliases: list[str]
    run: dict[str, Any] | None = None
    params: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    datasets: list[dict[str, Any]] = Field(default_factory=list)
    label_sources: list[str] = Field(default_factory=list)
    lineage: list[dict[str, str | None]] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)
    markdown: str = ""
