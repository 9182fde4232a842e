"""The model registry: registered models, versions, aliases, cards, files and a
safe-format prediction call."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sluice.api.compat.mlflow.artifacts import file_response
from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.policy import policy
from sluice.core.registry import (
    MAX_ROWS,
    AliasChange,
    ModelCard,
    ModelVersion,
    Prediction,
    RegisteredModel,
)
from sluice.core.tracking import ArtifactEntry, join

router = APIRouter(prefix="/api/v1/models", tags=["models"])


class ModelCreate(BaseModel):
    name: str
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)


class VersionCreate(BaseModel):
    source: str = Field(description="runs:/<run id>/<path>, models:/<logged model id> or "
                                    "mlflow-artifacts:/<path>.")
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)


class AliasSet(BaseModel):
    version: int


class PredictRequest(BaseModel):
    inputs: list[Any] = Field(description="Rows of features (a list of lists).",
                              max_length=MAX_ROWS)


class ModelUpdate(BaseModel):
    description: str | None = Field(None, description="Replaces the description.")
    tags: dict[str, str] = Field(default_factory=dict, description="Merged into the tags.")


@router.patch("/{name}")
def update_model(name: str, body: ModelUpdate, ctx: CtxDep,
                 platform: PlatformDep) -> RegisteredModel:
    """Set a model's description and tags."""
    return platform.registry.update(ctx, name, description=body.description, tags=body.tags)


@router.patch("/{name}/versions/{version}")
def update_version(name: str, version: int, body: ModelUpdate, ctx: CtxDep,
                   platform: PlatformDep) -> ModelVersion:
    """Set one version's description and tags."""
    return platform.registry.update_version(ctx, name, version, description=body.description,
                                            tags=body.tags)


@router.get("")
def list_models(ctx: CtxDep, platform: PlatformDep) -> list[RegisteredModel]:
    """Registered models of the project."""
    return platform.registry.list(ctx)


@router.post("", status_code=201)
def create_model(body: ModelCreate, ctx: CtxDep, platform: PlatformDep) -> RegisteredModel:
    """Register a model name (versions are added to it)."""
    return platform.registry.create(ctx, body.name, description=body.description,
                                    tags=body.tags)


@router.get("/{name}")
def get_model(name: str, ctx: CtxDep, platform: PlatformDep) -> RegisteredModel:
    """A registered model with its aliases and latest version number."""
    return platform.registry.get(ctx, name)


@router.get("/{name}/versions")
def list_versions(name: str, ctx: CtxDep, platform: PlatformDep) -> list[ModelVersion]:
    """Versions, newest first."""
    return platform.registry.versions(ctx, name)


@router.post("/{name}/versions", status_code=201)
def register(name: str, body: VersionCreate, ctx: CtxDep,
             platform: PlatformDep) -> ModelVersion:
    """A new version from a run artifact or a logged model (creates the model if needed)."""
    return platform.hub.register(ctx, name, body.source, description=body.description,
                                 tags=body.tags)


@router.get("/{name}/versions/{ref}")
def get_version(name: str, ref: str, ctx: CtxDep, platform: PlatformDep) -> ModelVersion:
    """A version by number, ``latest`` or ``@alias``."""
    return platform.registry.version(ctx, name, ref)


@router.get("/{name}/versions/{ref}/files")
def version_files(name: str, ref: str, ctx: CtxDep,
                  platform: PlatformDep) -> list[ArtifactEntry]:
    """Every file of the version's model folder."""
    root = platform.hub.root(ctx, platform.registry.version(ctx, name, ref))
    return platform.tracking.artifacts.files(ctx, root)


@router.get("/{name}/versions/{ref}/files/{path:path}")
def version_file(name: str, ref: str, path: str, ctx: CtxDep,
                 platform: PlatformDep) -> Response:
    """One file of the version's model folder, streamed."""
    root = platform.hub.root(ctx, platform.registry.version(ctx, name, ref))
    return file_response(platform, ctx, join(root, path))


@router.post("/{name}/versions/{ref}/predict", openapi_extra=policy(permission="models.read"))
async def predict(name: str, ref: str, body: PredictRequest, ctx: CtxDep,
                  platform: PlatformDep) -> Prediction:
    """Predict with a version (loaded once, then kept). A pickle is always refused."""
    return await run_in_threadpool(platform.predictions.predict, ctx, name, ref, body.inputs)


@router.put("/{name}/aliases/{alias}", openapi_extra=policy(permission="models.promote"))
def set_alias(name: str, alias: str, body: AliasSet, ctx: CtxDep,
              platform: PlatformDep) -> ModelVersion:
    """Point ``@alias`` at a version; the move is recorded (who, when, from, to)."""
    return platform.registry.set_alias(ctx, name, alias, body.version)


@router.delete("/{name}/aliases/{alias}", status_code=204,
               openapi_extra=policy(permission="models.promote"))
def delete_alias(name: str, alias: str, ctx: CtxDep, platform: PlatformDep) -> Response:
    """Remove an alias (recorded too)."""
    platform.registry.delete_alias(ctx, name, alias)
    return Response(status_code=204)


@router.get("/{name}/alias-history")
def alias_history(name: str, ctx: CtxDep, platform: PlatformDep) -> list[AliasChange]:
    """Every alias move, newest first."""
    return platform.registry.alias_history(ctx, name)


@router.get("/{name}/card")
def card(name: str, ctx: CtxDep, platform: PlatformDep, version: str = "latest") -> ModelCard:
    """The model card: metrics, params, training data, label sources, intended use, lineage."""
    return platform.hub.card(ctx, name, version)
