"""Route screening (``sluice.api.routing``): a router is skipped only when the path cannot
be one of its routes', so every route is still found and unknown paths still 404."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from starlette.routing import Match

from sluice.api.app import _routes, api_routers
from sluice.api.routing import route_paths, skip_by_path
from sluice.web.app import web_routers


def test_paths_are_split_into_exact_ones_and_prefixes() -> None:
    router = APIRouter()
    router.add_api_route("/a/b", lambda: None)
    router.add_api_route("/a/{name}/c", lambda: None)
    assert route_paths(router) == (frozenset({"/a/b"}), ("/a/",))


def test_a_screened_router_answers_none_for_paths_it_cannot_have() -> None:
    router = APIRouter()
    router.add_api_route("/a/b", lambda: None)
    router.add_api_route("/a/{name}/c", lambda: None)
    calls: list[str] = []
    router.matches = lambda scope: (calls.append(scope["path"]), (Match.FULL, {}))[1]  # type: ignore[method-assign]
    skip_by_path([router])
    assert router.matches({"path": "/b/a"}) == (Match.NONE, {})
    assert router.matches({"path": "/a/x/c"})[0] == Match.FULL
    assert router.matches({"path": "/app/a/b", "root_path": "/app"})[0] == Match.FULL
    assert calls == ["/a/x/c", "/app/a/b"]


def test_every_route_is_still_found(anon: Any) -> None:
    routes = [r for r in _routes([*api_routers(), *web_routers()]) if hasattr(r, "methods")]
    assert len(routes) > 200
    for route in routes:
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in route.methods - {"HEAD"}:
            response = anon.request(method, path, follow_redirects=False)
            assert response.status_code not in (404, 405), (method, path)


def test_unknown_paths_and_slashes(anon: Any, http: Any) -> None:
    assert http.get("/api/v1/nothing-here").status_code == 404
    slash = http.get("/api/v1/whoami/", follow_redirects=False)
    assert slash.status_code == 307 and slash.headers["location"].endswith("/api/v1/whoami")
    assert http.get("/static/app.css").status_code == 200
    assert http.delete("/api/v1/whoami").status_code == 405
