"""What a route declares about its requests, enforced before any route code runs.

A route that takes a body bigger than ``max_body_bytes``, streams it, or needs a
permission other than its area's default says so in its ``openapi_extra`` (the declaration
shows in the OpenAPI document as ``x-sluice-*`` extensions)::

    @router.put("/blobs/{digest}",
                openapi_extra=policy(body="max_upload_bytes", streamed=True,
                                     permission="datasets.write"))

Every route needs a permission: its own, or its area's ``read`` (GET, HEAD) or ``write``
(other methods), filled in by :func:`declare_defaults`; a route with neither is refused to
everyone. ``sluice.api.middleware`` checks it right after authentication and before a byte
of a body is read, ``sluice.api.deps`` for the rest (the services check again), and the
body is bounded by the named setting instead of the global one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute

BODY, STREAMED, PERMISSION = "x-sluice-body-limit", "x-sluice-streamed", "x-sluice-permission"
READS = frozenset({"GET", "HEAD"})


def policy(*, body: str | int | None = None, streamed: bool = False,
           permission: str | None = None) -> dict[str, Any]:
    """The ``openapi_extra`` of a route: ``body`` names the setting that bounds its body
    (or gives the bytes), ``streamed`` says the route reads the body itself,
    ``permission`` what calling it needs (a permission name or a scope of
    ``sluice.core.access.catalog``)."""
    declared: dict[str, Any] = {}
    if body:
        declared[BODY] = body
    if streamed:
        declared[STREAMED] = True
    if permission:
        declared[PERMISSION] = permission
    return declared


def declare_defaults(routes: Iterable[Any], read: str | None, write: str | None) -> None:
    """Give each route that declares no permission its area's default (by method)."""
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        extra = route.openapi_extra if route.openapi_extra is not None else {}
        if PERMISSION not in extra:
            default = read if set(route.methods or ()) <= READS else write
            if default:
                extra[PERMISSION] = default
        route.openapi_extra = extra


def permission_of(route: Any) -> str | None:
    """What calling ``route`` needs, as declared (None: undeclared, refused)."""
    extra = getattr(route, "openapi_extra", None) or {}
    found = extra.get(PERMISSION)
    return str(found) if found else None


@dataclass(frozen=True)
class RoutePolicy:
    pattern: re.Pattern[str]
    methods: frozenset[str]
    limit: int | None  # None: the global max_body_bytes
    streamed: bool
    permission: str | None


class Policies:
    """The declared routes, looked up by path and method (built on first use; the
    answers for the last ``REMEMBERED`` distinct paths are kept, since a client calls
    the same few paths over and over)."""

    REMEMBERED = 4096

    def __init__(self, build: Callable[[], list[RoutePolicy]]) -> None:
        self._build = build
        self._table: list[RoutePolicy] | None = None
        self._seen: dict[tuple[str, str], RoutePolicy | None] = {}

    def match(self, path: str, method: str) -> RoutePolicy | None:
        key = (path, method)
        try:
            return self._seen[key]
        except KeyError:
            pass
        found = self._lookup(path, method)
        if len(self._seen) >= self.REMEMBERED:
            self._seen.clear()
        self._seen[key] = found
        return found

    def _lookup(self, path: str, method: str) -> RoutePolicy | None:
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
        if not isinstance(route, APIRoute):
            continue
        table.append(RoutePolicy(
            route.path_regex, frozenset(route.methods or ()),
            _limit(extra[BODY], limits) if BODY in extra else None,
            bool(extra.get(STREAMED)), permission_of(route)))
    return table


def _limit(declared: str | int, limits: Any) -> int:
    return declared if isinstance(declared, int) else int(getattr(limits, declared))
