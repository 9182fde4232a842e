"""Web sessions die with the token that opened them, are listed and revoked with the
tokens, never work as API bearers; failed logins slow an address down."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

ORIGIN = {"origin": "http://testserver"}


@pytest.fixture
def browser(app: Any) -> Iterator[Any]:
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def _login(browser: Any, token: str) -> str:
    done = browser.post("/login", data={"token": token, "next": "/datasets"},
                        headers=ORIGIN, follow_redirects=False)
    assert done.status_code == 303
    return str(done.cookies["sluice_session"])


def _token_id(platform: Any, name: str) -> str:
    tokens = platform.auth.list_tokens(platform.local_context())
    return next(t.id for t in tokens if t.user == name)


def test_revoking_a_token_ends_its_web_sessions(browser: Any, as_role: Any, tokens: Any,
                                                platform: Any) -> None:
    secret = _login(browser, tokens["editor"])
    assert browser.get("/datasets").status_code == 200
    token_id = _token_id(platform, "editor")
    assert as_role("editor").delete(f"/api/v1/tokens/{token_id}").status_code == 200
    page = browser.get("/datasets", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    twin = browser.get("/datasets.json")
    assert twin.status_code == 401 and twin.json()["error"]["code"] == "session_revoked"
    bearer = browser.get("/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"})
    assert bearer.status_code == 401


def test_a_session_secret_is_no_api_bearer(browser: Any, tokens: Any, anon: Any) -> None:
    secret = _login(browser, tokens["viewer"])
    response = anon.get("/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_not_allowed"
    page = anon.get("/datasets.json", headers={"Authorization": f"Bearer {secret}"})
    assert page.status_code == 200  # the web UI's JSON twins accept it


def test_sessions_are_listed_with_their_token_and_revoked_alone(
        browser: Any, as_role: Any, tokens: Any, platform: Any) -> None:
    _login(browser, tokens["editor"])
    admin = as_role("admin")
    plain = admin.get("/api/v1/tokens").json()
    assert all(t["kind"] == "api" for t in plain)
    listed = admin.get("/api/v1/tokens", params={"sessions": "true"}).json()
    session = next(t for t in listed if t["kind"] == "session")
    assert session["user"] == "editor" and session["parent"] == _token_id(platform, "editor")
    page = admin.get("/tokens.json").json()
    assert page["sessions"][0]["opened_with"] == "t"
    assert admin.delete(f"/api/v1/tokens/{session['id']}").status_code == 200
    assert browser.get("/datasets", follow_redirects=False).status_code == 303
    assert as_role("editor").get("/api/v1/whoami").status_code == 200  # the token lives on


def test_a_viewer_sees_only_its_own_sessions(browser: Any, as_role: Any, tokens: Any) -> None:
    _login(browser, tokens["editor"])
    mine = as_role("viewer").get("/api/v1/tokens", params={"sessions": "true"}).json()
    assert {t["user"] for t in mine} == {"viewer"}


def test_a_session_ends_no_later_than_its_token(platform: Any) -> None:
    ctx = platform.local_context()
    short = platform.auth.create_token(ctx, "short", expires_days=0.01)
    secret = platform.auth.login(short.token)
    session = next(t for t in platform.auth.list_tokens(ctx, sessions=True)
                   if t.kind == "session")
    assert session.expires_at is not None and session.expires_at <= short.expires_at
    assert platform.auth.authenticate(secret, kinds=("session",)).name == "admin"


def test_repeated_failed_logins_get_429_even_for_the_right_token(
        browser: Any, admin_token: str, platform: Any) -> None:
    limit = platform.settings.login_failures_per_minute
    for _ in range(limit):
        bad = browser.post("/login", data={"token": "slc_wrong"}, headers=ORIGIN)
        assert bad.status_code == 401
    locked = browser.post("/login", data={"token": admin_token}, headers=ORIGIN,
                          follow_redirects=False)
    assert locked.status_code == 429 and "too many failed logins" in locked.text
    api = browser.get("/api/v1/whoami", headers={"Authorization": f"Bearer {admin_token}"})
    assert api.status_code == 429 and int(api.headers["retry-after"]) >= 1
    assert api.json()["error"]["code"] == "too_many_failed_logins"


def test_invalid_bearer_tokens_count_as_failures(anon: Any, platform: Any) -> None:
    for _ in range(platform.settings.login_failures_per_minute):
        assert anon.get("/api/v1/datasets",
                        headers={"Authorization": "Bearer slc_guess"}).status_code == 401
    assert anon.get("/api/v1/datasets",
                    headers={"Authorization": "Bearer slc_guess"}).status_code == 429


def test_a_page_left_open_after_its_token_was_revoked_locks_nobody_out(
        browser: Any, as_role: Any, tokens: Any, platform: Any, admin_token: str) -> None:
    _login(browser, tokens["editor"])
    as_role("editor").delete(f"/api/v1/tokens/{_token_id(platform, 'editor')}")
    for _ in range(platform.settings.login_failures_per_minute * 2):  # a polling page
        assert browser.get("/jobs.json").status_code == 401
    assert browser.get("/api/v1/whoami",
                       headers={"Authorization": f"Bearer {admin_token}"}).status_code == 200
