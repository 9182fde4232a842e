"""One view function, two routes: the HTML page and its JSON twin (``<path>.json``)."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse

from sluice.api.policy import policy
from sluice.web.templating import templates

View = Callable[..., dict[str, Any]] | Callable[..., Awaitable[dict[str, Any]]]


def finite(value: Any) -> Any:
    """``value`` with NaN and infinite floats as null (JSON has no spelling for them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def twin(router: APIRouter, path: str, template: str, *,
         permission: str | None = None) -> Callable[[View], View]:
    """Register ``view`` at ``path`` (HTML via ``template``) and ``path.json`` (JSON).

    The view takes ``request`` plus any FastAPI parameters and returns the page's data;
    both routes render exactly that data, so the page can be scripted and tested.
    ``permission``: what seeing it needs, if not its area's ``read`` permission.
    """
    extra = policy(permission=permission) if permission else None

    def register(view: View) -> View:
        if "request" not in inspect.signature(view).parameters:
            raise TypeError(f"{view.__name__} must take a 'request' parameter")
        as_json, as_html = (_async_routes if inspect.iscoroutinefunction(view)
                            else _routes)(view, template)
        router.add_api_route(path + ".json", as_json, methods=["GET"], include_in_schema=True,
                             tags=["web json"], name=f"{view.__name__}_json",
                             openapi_extra=dict(extra) if extra else None)
        router.add_api_route(path, as_html, methods=["GET"], include_in_schema=False,
                             response_class=HTMLResponse, name=view.__name__,
                             openapi_extra=dict(extra) if extra else None)
        return view

    return register


def _routes(view: View, template: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    @functools.wraps(view)
    def as_json(*args: Any, **kwargs: Any) -> JSONResponse:
        return JSONResponse(finite(jsonable_encoder(view(*args, **kwargs))))

    @functools.wraps(view)
    def as_html(*args: Any, **kwargs: Any) -> HTMLResponse:
        data = view(*args, **kwargs)
        return templates.TemplateResponse(kwargs["request"], template, {"page": data})

    return as_json, as_html


def _async_routes(view: Any, template: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The same for a view that awaits (one that waits for a model, say)."""

    @functools.wraps(view)
    async def as_json(*args: Any, **kwargs: Any) -> JSONResponse:
        return JSONResponse(finite(jsonable_encoder(await view(*args, **kwargs))))

    @functools.wraps(view)
    async def as_html(*args: Any, **kwargs: Any) -> HTMLResponse:
        data = await view(*args, **kwargs)
        return templates.TemplateResponse(kwargs["request"], template, {"page": data})

    return as_json, as_html
