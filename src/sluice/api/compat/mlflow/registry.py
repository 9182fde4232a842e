"""MLflow's model registry routes over Sluice's registry."""

from __future__ import annotations

import re
from typing import Any

from sluice.api.compat.mlflow import shapes
from sluice.api.compat.mlflow.fastjson import FastJsonRouter
from sluice.api.compat.mlflow.tracking import OK, Payload, need
from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.policy import policy
from sluice.core.context import Ctx
from sluice.errors import InvalidInput
from sluice.platform import Platform

router = FastJsonRouter(prefix="/api/2.0/mlflow", tags=["mlflow"])


def _registered(platform: Platform, ctx: Ctx, name: str) -> dict[str, Any]:
    model = platform.registry.get(ctx, name)
    latest = (platform.registry.version(ctx, name, "latest")
              if model.latest_version else None)
    return shapes.registered_model(model, latest)


@router.post("/registered-models/create")
def create_registered_model(body: Payload, ctx: CtxDep,
                            platform: PlatformDep) -> dict[str, Any]:
    model = platform.registry.create(ctx, need(body, "name"),
                                     description=str(body.get("description") or ""),
                                     tags=shapes.unpair(body.get("tags")))
    return {"registered_model": shapes.registered_model(model, None)}


@router.get("/registered-models/get")
def get_registered_model(name: str, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    return {"registered_model": _registered(platform, ctx, name)}


@router.get("/registered-models/search")
def search_registered_models(ctx: CtxDep, platform: PlatformDep, filter: str | None = None,
                             max_results: int = 100) -> dict[str, Any]:
    like = _name_pattern(filter)
    models = platform.registry.list(ctx, name_like=like)[:max_results]
    return {"registered_models": [_registered(platform, ctx, m.name) for m in models]}


def _name_pattern(text: str | None) -> str | None:
    """``name = 'x'`` or ``name LIKE 'x%'`` (the filters the client sends) as a LIKE pattern."""
    if not text:
        return None
    match = re.match(r"""^\s*name\s*(=|I?LIKE)\s*['"](.*)['"]\s*$""", text, re.IGNORECASE)
    if match is None:
        raise InvalidInput(f"unsupported registered-model filter {text!r}; use name = '...' "
                           "or name LIKE '...'", code="invalid_filter")
    return match.group(2)


@router.patch("/registered-models/update")
def update_registered_model(body: Payload, ctx: CtxDep,
                            platform: PlatformDep) -> dict[str, Any]:
    platform.registry.update(ctx, need(body, "name"), description=body.get("description"))
    return {"registered_model": _registered(platform, ctx, need(body, "name"))}


@router.delete("/registered-models/delete")
def delete_registered_model(body: Payload, ctx: CtxDep,
                            platform: PlatformDep) -> dict[str, Any]:
    platform.registry.delete(ctx, need(body, "name"))
    return OK


@router.post("/registered-models/set-tag")
def set_registered_model_tag(body: Payload, ctx: CtxDep,
                             platform: PlatformDep) -> dict[str, Any]:
    platform.registry.update(ctx, need(body, "name"),
                             tags={need(body, "key"): str(body.get("value", ""))})
    return OK


@router.post("/registered-models/alias", openapi_extra=policy(permission="models.promote"))
def set_alias(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.registry.set_alias(ctx, need(body, "name"), need(body, "alias"),
                                int(need(body, "version")))
    return OK


@router.delete("/registered-models/alias", openapi_extra=policy(permission="models.promote"))
def delete_alias(ctx: CtxDep, platform: PlatformDep, body: Payload,
                 name: str | None = None, alias: str | None = None) -> dict[str, Any]:
    platform.registry.delete_alias(ctx, name or need(body, "name"), alias or need(body, "alias"))
    return OK


@router.get("/registered-models/alias")
def get_by_alias(name: str, alias: str, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    return {"model_version": shapes.model_version(
        platform.registry.version(ctx, name, f"@{alias}"))}


@router.post("/registered-models/get-latest-versions",
             openapi_extra=policy(permission="models.read"))
def latest_versions(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    versions = platform.registry.versions(ctx, need(body, "name"))
    return {"model_versions": [shapes.model_version(v) for v in versions[:1]]}


@router.post("/model-versions/create")
def create_model_version(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    version = platform.registry.create_version(
        ctx, need(body, "name"), need(body, "source"), run_id=body.get("run_id") or None,
        logged_model_id=body.get("model_id") or None,
        description=str(body.get("description") or ""), tags=shapes.unpair(body.get("tags")))
    return {"model_version": shapes.model_version(version)}


@router.get("/model-versions/get")
def get_model_version(name: str, version: str, ctx: CtxDep,
                      platform: PlatformDep) -> dict[str, Any]:
    return {"model_version": shapes.model_version(platform.registry.version(ctx, name,
                                                                            version))}


@router.patch("/model-versions/update")
def update_model_version(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    version = platform.registry.update_version(ctx, need(body, "name"),
                                               int(need(body, "version")),
                                               description=body.get("description"))
    return {"model_version": shapes.model_version(version)}


@router.post("/model-versions/set-tag")
def set_model_version_tag(body: Payload, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    platform.registry.update_version(ctx, need(body, "name"), int(need(body, "version")),
                                     tags={need(body, "key"): str(body.get("value", ""))})
    return OK


@router.get("/model-versions/search")
def search_model_versions(ctx: CtxDep, platform: PlatformDep, filter: str | None = None,
                          max_results: int = 10_000) -> dict[str, Any]:
    names = [m.name for m in platform.registry.list(ctx)]
    if filter and "=" in filter:
        wanted = filter.split("=", 1)[1].strip().strip("'\"")
        names = [n for n in names if n == wanted]
    versions = [v for n in names for v in platform.registry.versions(ctx, n)]
    return {"model_versions": [shapes.model_version(v) for v in versions[:max_results]]}


@router.get("/model-versions/get-download-uri")
def download_uri(name: str, version: str, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any]:
    found = platform.registry.version(ctx, name, version)
    return {"artifact_uri": f"mlflow-artifacts:/{platform.hub.root(ctx, found)}"}
