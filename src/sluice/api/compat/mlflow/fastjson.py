"""A router whose endpoints' dict results are sent with ``json.dumps`` directly.

FastAPI otherwise walks every returned value through ``jsonable_encoder``, which for a
10,000-step metric history costs more than the database query.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response


def json_response(payload: Any) -> Response:
    body = json.dumps(payload, separators=(",", ":"), allow_nan=True)
    return Response(content=body, media_type="application/json")


class FastJsonRouter(APIRouter):
    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _wrap(endpoint)
        super().add_api_route(path, endpoint, **kwargs)


def _wrap(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        return json_response(result) if isinstance(result, dict) else result

    return wrapper
