"""The OpenAPI document, with what :func:`sluice.api.deps.get_ctx` reads declared.

``get_ctx`` reads the bearer token and the ``X-Sluice-Project`` header itself (one
dependency is cheaper on every request than three), so FastAPI cannot see them; this adds
them to every operation of a route that depends on it, as FastAPI would have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from sluice.api.deps import PROJECT_HEADER, get_ctx

SCHEME = "HTTPBearer"
BEARER = {"type": "http", "scheme": "bearer",
          "description": "An API token: `sluice tokens create`."}
_PROJECT_DOC = "The project to work in (default: the token's, else `default`)."
PROJECT = {"name": PROJECT_HEADER, "in": "header", "required": False,
           "description": _PROJECT_DOC,
           "schema": {"anyOf": [{"type": "string"}, {"type": "null"}],
                      "title": "X-Sluice-Project", "description": _PROJECT_DOC}}
VALIDATION_ERROR = {"description": "Validation Error", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}


def declare_callers(app: FastAPI, routes: Callable[[], Iterable[BaseRoute]]) -> None:
    """Make ``app.openapi()`` declare the caller's token and project where ``get_ctx``
    reads them (``routes``: every route as declared, the app holding wrapped copies)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            for route in routes():
                if isinstance(route, APIRoute) and route.include_in_schema \
                        and _depends_on(route.dependant, get_ctx):
                    _declare(spec, route)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def _declare(spec: dict[str, Any], route: APIRoute) -> None:
    spec.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = BEARER
    for method in route.methods or ():
        operation = spec["paths"].get(route.path_format, {}).get(method.lower())
        if operation is None:
            continue
        security = operation.setdefault("security", [])
        if {SCHEME: []} not in security:
            security.append({SCHEME: []})
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == PROJECT_HEADER for p in parameters):
            parameters.append(dict(PROJECT))
        if "HTTPValidationError" in spec["components"].get("schemas", {}):
            operation.setdefault("responses", {}).setdefault("422", VALIDATION_ERROR)
