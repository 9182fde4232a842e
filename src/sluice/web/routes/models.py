"""Registered models: versions, aliases with a promote button, alias history, model card."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from sluice.api.deps import PlatformDep
from sluice.api.policy import policy
from sluice.errors import InvalidInput
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)


@twin(router, "/models", "models.html")
def models_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    return {"title": "Models", "models": platform.registry.list(ctx)}


@twin(router, "/models/{name}", "model.html")
def model_page(request: Request, name: str, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    model = platform.registry.get(ctx, name)
    return {"title": f"Model {model.name}", "model": model,
            "versions": platform.registry.versions(ctx, name),
            "history": platform.registry.alias_history(ctx, name),
            "suggested_aliases": sorted({"production", "staging", *model.aliases})}


@router.post("/models/{name}/promote", openapi_extra=policy(permission="models.promote"))
def promote(name: str, ctx: WebCtx, platform: PlatformDep, alias: Annotated[str, Form()],
            version: Annotated[int, Form()]) -> RedirectResponse:
    """Point an alias at a version (the button on the model page)."""
    platform.registry.set_alias(ctx, name, alias.strip().lstrip("@"), version)
    return RedirectResponse(f"/models/{quote(name, safe='')}", status_code=303)


@router.post("/models/{name}/tags")
def set_tag(name: str, ctx: WebCtx, platform: PlatformDep, key: Annotated[str, Form()],
            value: Annotated[str, Form()] = "",
            version: Annotated[str, Form()] = "") -> RedirectResponse:
    """The tag form on the model page: on the model, or on one version."""
    if not key.strip():
        raise InvalidInput("a tag needs a name", code="invalid_tag")
    if version and not version.isdigit():
        raise InvalidInput("version must be a number", code="invalid_version")
    tags = {key.strip(): value}
    if version:
        platform.registry.update_version(ctx, name, int(version), tags=tags)
    else:
        platform.registry.update(ctx, name, tags=tags)
    return RedirectResponse(f"/models/{quote(name, safe='')}", status_code=303)


@twin(router, "/models/{name}/card", "model_card.html")
def card_page(request: Request, name: str, ctx: WebCtx, platform: PlatformDep,
              version: str = "latest") -> dict[str, Any]:
    card = platform.hub.card(ctx, name, version)
    return {"title": f"Model card: {name} v{card.version}", "card": card}


@twin(router, "/models/{name}/predict", "model_predict.html")
def predict_page(request: Request, name: str, ctx: WebCtx, platform: PlatformDep,
                 version: str = "latest", inputs: str = "") -> dict[str, Any]:
    """Try a version: rows of features as JSON in, predictions out (nothing is stored)."""
    model = platform.registry.get(ctx, name)
    data: dict[str, Any] = {"title": f"Predict with {name}", "model": model,
                            "versions": platform.registry.versions(ctx, name),
                            "version": version, "inputs": inputs, "prediction": None}
    if inputs.strip():
        data["prediction"] = platform.predictions.predict(ctx, name, version,
                                                          parse_rows(inputs))
    return data


def parse_rows(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"the rows are not JSON: {exc}", code="invalid_json") from exc
