"""The API reference as a page: every operation of the OpenAPI document, served from here
(no CDN, no script), for logged-in people; ``/openapi.json`` for tools, with a token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sluice.api.policy import policy
from sluice.core.access import SIGNED_IN
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")


@router.get("/openapi.json", openapi_extra=policy(permission=SIGNED_IN))
def openapi_document(request: Request, ctx: WebCtx) -> JSONResponse:
    """The OpenAPI document (a session cookie or a bearer token is needed)."""
    return JSONResponse(request.app.openapi())


@twin(router, "/docs", "apidocs.html", permission=SIGNED_IN)
def docs_page(request: Request, ctx: WebCtx) -> dict[str, Any]:
    spec = request.app.openapi()
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                op = item[method]
                tag = (op.get("tags") or ["other"])[0]
                groups.setdefault(tag, []).append(_operation(method, path, op))
    return {"title": "REST API", "version": spec.get("info", {}).get("version"),
            "groups": [{"tag": tag, "operations": ops} for tag, ops in groups.items()]}


def _operation(method: str, path: str, op: dict[str, Any]) -> dict[str, Any]:
    params = [{"name": p.get("name"), "in": p.get("in"), "required": bool(p.get("required"))}
              for p in op.get("parameters", [])]
    body = op.get("requestBody", {}).get("content", {})
    return {"method": method.upper(), "path": path, "summary": op.get("summary", ""),
            "description": (op.get("description") or "").strip().splitlines()[:1],
            "parameters": params, "body": sorted(body)}
