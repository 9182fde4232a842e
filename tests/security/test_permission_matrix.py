"""Every route (REST, MLflow and OpenAI compatible, web pages and their JSON twins) x every
built-in role x own and other project, against the permission table, on SQLite and
PostgreSQL.

Route declarations come from the routers (``sluice.api.policy``); what each role grants
comes from the areas (``sluice.core.access``). A route that declares nothing fails here,
a route that lets in a role without the permission fails here, and a project the caller
does not belong to must answer 404 ``project_not_found``, never 403, whatever the route.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute

from sluice.api.policy import permission_of
from sluice.core.access.catalog import MEMBER, PUBLIC, SIGNED_IN, WORKSPACE_ADMIN
from sluice.core.context import Role

pytestmark = pytest.mark.slow
ROLES = [str(r) for r in Role]
OWN, OTHER = "alpha", "beta"
_PARAM = re.compile(r"\{(\w+)(:path)?\}")


def _routes() -> list[tuple[str, str, str | None, bool]]:
    """(method, path, declared permission, is an API route) for every route."""
    from sluice.api.app import api_routers
    from sluice.web.app import web_routers

    found = []
    for api, routers in ((True, api_routers()), (False, web_routers())):
        for router in routers:
            for route in router.routes:
                if not isinstance(route, APIRoute):
                    continue
                for method in sorted(route.methods - {"HEAD"}):
                    found.append((method, route.path, permission_of(route), api))
    return found


def _path(template: str) -> str:
    return _PARAM.sub(lambda m: "a/b.txt" if m.group(2) else "nope", template)


@pytest.fixture
def world(db_platform: Any) -> Iterator[tuple[Any, dict[str, str], dict[str, frozenset[str]]]]:
    """Two projects; one user per built-in role, a member of ``alpha`` only; their tokens
    and what each role grants."""
    from fastapi.testclient import TestClient

    from sluice.api.app import create_app

    platform = db_platform
    owner = platform.local_context()
    platform.projects.create(owner, OWN)
    platform.projects.create(owner, OTHER)
    alpha = platform.local_context(OWN)
    tokens = {"workspace-admin": (platform.settings.home / "admin-token").read_text().strip()}
    for role in ROLES:
        platform.auth.create_user(alpha, f"u-{role}", role)
        tokens[role] = platform.auth.create_token(owner, "t", user=f"u-{role}").token
    grants = {role: platform.access.grants(role) for role in ROLES}
    with TestClient(create_app(platform, background=False),
                    base_url="http://testserver") as client:
        yield client, tokens, grants


def _call(client: Any, method: str, path: str, api: bool, token: str | None,
          project: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    params = {}
    if api:
        headers["X-Sluice-Project"] = project
    else:
        params["project"] = project
    body: dict[str, Any] = {}
    if method in ("POST", "PUT", "PATCH"):
        body = {"json": {}} if api else {"data": {}}
    return client.request(method, path, headers=headers, params=params,
                          follow_redirects=False, **body)


def _hidden(response: Any, project: str) -> bool:
    """The answer a caller gets for a project it may not know exists."""
    return response.status_code == 404 and \
        f"project {project!r} does not exist" in html.unescape(response.text)


def _expected(need: str | None, who: str, project: str,
              grants: dict[str, frozenset[str]]) -> str:
    """"allow", "forbid" (403) or "hide" (404 project_not_found)."""
    assert need is not None
    if need in (PUBLIC, SIGNED_IN) or who == "workspace-admin":
        return "allow"
    if need == WORKSPACE_ADMIN:
        return "forbid"
    if project == OTHER:
        return "hide"
    return "allow" if need == MEMBER or need in grants[who] else "forbid"


def _projects(need: str | None, who: str) -> tuple[str, ...]:
    """The projects to ask about: routes of no project answer the same for both, and a
    project nobody here belongs to answers every non-member alike (viewer and admin stand
    for the other built-in roles there)."""
    if need in (SIGNED_IN, WORKSPACE_ADMIN) or who not in ("viewer", "admin",
                                                               "workspace-admin"):
        return (OWN,)
    return (OWN, OTHER)


def _outcome(response: Any, project: str) -> str:
    if _hidden(response, project):
        return "hide"
    if response.status_code == 403:
        return "forbid"
    assert response.status_code not in (401, 500), (response.status_code, response.text[:300])
    return "allow"


def test_every_route_declares_a_known_permission_or_scope(db_platform):
    known = set(db_platform.access.grants(str(Role.ADMIN)))
    undeclared = [(m, p) for m, p, need, _ in _routes() if need is None]
    assert not undeclared, f"routes without a permission: {undeclared}"
    unknown = {need for _, _, need, _ in _routes()} - known - \
        {PUBLIC, SIGNED_IN, MEMBER, WORKSPACE_ADMIN}
    assert not unknown, f"routes need permissions no area defines: {unknown}"


def test_route_x_role_x_project_matches_the_permission_table(world):
    client, tokens, grants = world
    routes = _routes()
    assert len(routes) > 250  # the walk covers the whole app, compat routes included
    wrong = []
    for method, template, need, api in routes:
        path = _path(template)
        if need == PUBLIC:
            response = _call(client, method, path, api, None, OWN)
            if response.status_code in (401, 403):
                wrong.append((method, template, "anonymous", OWN, "allow", "refused"))
            continue
        for who, token in tokens.items():
            for project in _projects(need, who):
                want = _expected(need, who, project, grants)
                got = _outcome(_call(client, method, path, api, token, project), project)
                if got != want:
                    wrong.append((method, template, who, project, want, got))
    assert not wrong, "\n".join(map(str, wrong[:40])) + f"\n({len(wrong)} in all)"


def test_without_a_token_every_non_public_route_says_401_or_sends_to_login(world):
    client, _, _ = world
    for method, template, need, api in _routes():
        if need == PUBLIC:
            continue
        response = _call(client, method, _path(template), api, None, OWN)
        assert response.status_code in (401, 303), (method, template, response.status_code)
