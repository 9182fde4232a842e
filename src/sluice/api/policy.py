"""What a route declares about its requests, enforced before any route code runs.

A route that takes a body bigger than ``max_body_bytes``, streams it, or may be called by
editors only says so in its ``openapi_extra`` (the declaration shows in the OpenAPI
document as ``x-sluice-*`` extensions)::

    @router.put("/blobs/{digest}",
                openapi_extra=policy(body="max_upload_bytes", streamed=True, role=Role.EDITOR))

``sluice.api.middleware`` reads these: the role is checked right after authentication
and before a byte of the body is read (the service checks it again), and the body is
bounded by the named setting instead of the global one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute

from sluice.core.context import Role

BODY, STREAMED, ROLE = "x-sluice-body-limit", "x-sluice-streamed", "x-sluice-role"


def policy(*, body: str | int | None = None, streamed: bool = False,
           role: Role | None = None) -> dict[str, Any]:
    """The ``openapi_extra`` of a route: ``body`` names the setting that bounds its body
    (or gives the bytes), ``streamed`` says the route reads the body itself, ``role`` who
    may call it."""
    declared: dict[str, Any] = {}
    if body:
        declared[BODY] = body
    if streamed:
        declared[STREAMED] = True
    if role:
        declared[ROLE] = str(role)
    return declared


@dataclass(frozen=True)
class RoutePolicy:
    pattern: re.Pattern[str]
    methods: frozenset[str]
    limit: int | None  # None: the global max_body_bytes
    streamed: bool
    role: Role | None


class Policies:
    """The declared routes, looked up by path and method (built on first use)."""

    def __init__(self, build: Callable[[], list[RoutePolicy]]) -> None:
        self._build = build
        self._table: list[RoutePolicy] | None = None

    def match(self, path: str, method: str) -> RoutePolicy | None:
        if self._table is None:
            self._table = self._build()
        for entry in self._table:
            if method in entry.methods and entry.pattern.match(path):
                return entry
        return None


def route_policies(routes: Iterable[Any], limits: Any) -> list[RoutePolicy]:
    """The policies declared by ``routes``; ``limits`` (the settings) names the sizes."""
    table = []
    for route in routes:
        extra = route.openapi_extra or {} if isinstance(route, APIRoute) else {}
        if not any(key in extra for key in (BODY, STREAMED, ROLE)):
            continue
        table.append(RoutePolicy(
            route.path_regex, frozenset(route.methods or ()),
            _limit(extra[BODY], limits) if BODY in extra else None,
            bool(extra.get(STREAMED)), Role(extra[ROLE]) if ROLE in extra else None))
    return table


def _limit(declared: str | int, limits: Any) -> int:
    return declared if isinstance(declared, int) else int(getattr(limits, declared))
