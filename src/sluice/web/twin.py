"""One view function, two routes: the HTML page and its JSON twin (``<path>.json``)."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse

from sluice.web.templating import templates

View = Callable[..., dict[str, Any]]


def finite(value: Any) -> Any:
    """``value`` with NaN and infinite floats as null (JSON has no spelling for them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def twin(router: APIRouter, path: str, template: str) -> Callable[[View], View]:
    """Register ``view`` at ``path`` (HTML via ``template``) and ``path.json`` (JSON).

    The view takes ``request`` plus any FastAPI parameters and returns the page's data;
    both routes render exactly that data, so the page can be scripted and tested.
    """

    def register(view: View) -> View:
        if "request" not in inspect.signature(view).parameters:
            raise TypeError(f"{view.__name__} must take a 'request' parameter")

        @functools.wraps(view)
        def as_json(*args: Any, **kwargs: Any) -> JSONResponse:
            return JSONResponse(finite(jsonable_encoder(view(*args, **kwargs))))

        @functools.wraps(view)
        def as_html(*args: Any, **kwargs: Any) -> HTMLResponse:
            request: Request = kwargs["request"]
            data = view(*args, **kwargs)
            return templates.TemplateResponse(request, template, {"page": data})

        router.add_api_route(path + ".json", as_json, methods=["GET"], include_in_schema=True,
                             tags=["web json"], name=f"{view.__name__}_json")
        router.add_api_route(path, as_html, methods=["GET"], include_in_schema=False,
                             response_class=HTMLResponse, name=view.__name__)
        return view

    return register
