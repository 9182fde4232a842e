"""Admitted API callers are remembered for a moment (``sluice.core.access.recent``): a
repeat request skips the token and project queries, and any change to access made in the
process (a revoked token, a removed member) takes effect on the very next request."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text

from sluice.core.context import Role


def _counting(platform: Any, monkeypatch: Any) -> list[int]:
    calls = [0]
    real = platform.auth.authenticate

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(platform.auth, "authenticate", counted)
    return calls


def test_a_repeat_request_skips_the_lookup_and_a_revoked_token_stops_at_once(
        http: Any, platform: Any, monkeypatch: Any) -> None:
    ctx = platform.local_context()
    made = platform.auth.create_token(ctx, "short-lived")
    headers = {"Authorization": f"Bearer {made.token}"}
    calls = _counting(platform, monkeypatch)
    for _ in range(3):
        assert http.get("/api/v1/whoami", headers=headers).status_code == 200
    posted = http.post("/api/v1/datasets/notes/rows", headers=headers,
                       json={"rows": [{"text": "a"}]})
    assert posted.status_code in (200, 201) and calls[0] == 1  # one lookup, then memory
    platform.auth.revoke_token(ctx, made.id)
    refused = http.get("/api/v1/whoami", headers=headers)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked"
    assert http.post("/api/v1/datasets/notes/rows", headers=headers,
                     json={"rows": [{"text": "b"}]}).status_code == 401


def test_a_changed_role_and_a_removed_member_apply_on_the_next_request(
        http: Any, platform: Any) -> None:
    ctx = platform.local_context()
    platform.auth.create_user(ctx, "casey", Role.EDITOR)
    headers = {"Authorization": "Bearer " + platform.auth.create_token(
        ctx, "t", user="casey").token}
    assert http.get("/api/v1/datasets", headers=headers).status_code == 200
    rows = {"rows": [{"text": "a"}]}
    assert http.post("/api/v1/datasets/notes/rows", headers=headers, json=rows).is_success
    platform.access.set_member(ctx, "casey", "viewer")  # a changed role: at once
    assert http.post("/api/v1/datasets/notes/rows", headers=headers,
                     json=rows).status_code == 403
    platform.access.remove_member(ctx, "casey")
    assert http.get("/api/v1/datasets", headers=headers).status_code == 404  # no project


def test_another_process_s_change_shows_within_the_time_limit(make_settings: Any) -> None:
    """A change this process did not make (here: SQL straight to the database, as another
    server worker's would be) is seen once the remembered answer expires."""
    from fastapi.testclient import TestClient

    from sluice.api.app import create_app
    from tests.conftest import _open

    for platform in _open(make_settings(auth_cache_seconds=0.3)):
        token = platform.auth.create_token(platform.local_context(), "t")
        headers = {"Authorization": f"Bearer {token.token}"}
        with TestClient(create_app(platform, background=False)) as client:
            assert client.get("/api/v1/whoami", headers=headers).status_code == 200
            with platform.db.engine.begin() as conn:
                conn.execute(text("UPDATE tokens SET revoked_at = created_at WHERE id = :i"),
                             {"i": token.id})
            time.sleep(0.4)
            assert client.get("/api/v1/whoami", headers=headers).status_code == 401
