"""Cheaper route matching: a router is skipped when the request's path cannot be one of
its routes'.

FastAPI matches an included router by trying each of its routes' patterns in turn, so a
request for the last area's route pays for every route before it. A route without
parameters matches only its own path; one with parameters (or a mount) only paths that
start with its text up to the first ``{``. A router none of whose routes passes that test
cannot match, and is answered "no" for the price of a set lookup and one ``startswith``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from fastapi import APIRouter
from starlette.routing import Match, Route
from starlette.types import Scope

Matcher = Callable[[Scope], tuple[Match, Scope]]


def skip_by_path(routers: Iterable[APIRouter]) -> None:
    """Put the path test in front of each router's own matching."""
    for router in routers:
        paths = route_paths(router)
        if paths is not None:
            setattr(router, "matches", _screened(router.matches, *paths))  # noqa: B010


def route_paths(router: APIRouter) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """The exact paths of the router's parameterless routes and the literal prefixes of
    the others; None when a route has no path to test (never skip such a router)."""
    exact, prefixes = set(), set()
    for route in router.routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str) or not path:
            return None
        if isinstance(route, Route) and "{" not in path:
            exact.add(path)
        else:
            prefixes.add(path.split("{", 1)[0])
    return frozenset(exact), tuple(sorted(prefixes))


def _screened(matches: Matcher, exact: frozenset[str], prefixes: tuple[str, ...]) -> Matcher:
    def screened_matches(scope: Scope) -> tuple[Match, Scope]:
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        if path in exact or path.startswith(prefixes):
            return matches(scope)
        return Match.NONE, {}

    return screened_matches
