"""No body breaks a route or a dataset: sizes and depths are refused before parsing, odd
values get clear errors, idempotency keys cannot swallow another batch, and an unexpected
error is a JSON 500 on a connection that stays usable."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from sluice.api.middleware import CatchAll


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_a_row_nested_100_deep_is_refused_and_the_dataset_stays_readable(as_role: Any) -> None:
    editor = as_role("editor")
    assert editor.post("/api/v1/datasets/d/rows", json={"rows": [{"a": 1}]}).status_code == 200
    deep = editor.post("/api/v1/datasets/d/rows", json={"rows": [{"a": 2, "x": _nested(100)}]})
    assert deep.status_code == 400 and deep.json()["error"]["code"] == "json_too_deep"
    inside = editor.post("/api/v1/datasets/d/rows", json={"rows": [{"x": _nested(40)}]})
    assert inside.status_code == 400 and inside.json()["error"]["code"] == "value_too_deep"
    for path in ("/api/v1/datasets/d", "/api/v1/datasets/d/rows", "/api/v1/datasets/d/schema",
                 "/datasets/d", "/datasets/d.json"):
        assert editor.get(path).status_code == 200, path
    assert editor.post("/api/v1/sql", json={"query": "SELECT count(*) AS n FROM d"}
                       ).json()["rows"] == [{"n": 1}]


def test_a_row_nested_deep_through_the_sdk_is_refused(client: Any) -> None:
    from sluice.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        client.datasets.append("deep", [{"x": _nested(40)}])
    assert err.value.code in ("value_too_deep", "json_too_deep")


def test_a_100000_deep_body_is_a_400_not_a_500(as_role: Any) -> None:
    body = b'{"rows": [{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}"
    for path in ("/api/v1/datasets/d/rows", "/api/v1/sql", "/api/v1/runs/search"):
        response = as_role("editor").post(path, content=body,
                                          headers={"content-type": "application/json"})
        assert response.status_code == 400, path
        assert response.json()["error"]["code"] == "json_too_deep"


def test_an_empty_column_name_is_refused(as_role: Any) -> None:
    response = as_role("editor").post("/api/v1/datasets/e/rows", json={"rows": [{"": 1}]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_column_name"


def test_an_absurd_token_expiry_is_refused(as_role: Any, platform: Any) -> None:
    from sluice.errors import InvalidInput

    response = as_role("editor").post("/api/v1/tokens", json={"name": "x",
                                                              "expires_days": 2.7e16})
    assert response.status_code == 400
    with pytest.raises(InvalidInput):
        platform.auth.create_token(platform.local_context(), "x", expires_days=1e9)


@pytest.mark.parametrize("path", ["/api/v1/sql", "/api/v1/runs/search", "/api/v1/search"])
def test_bodies_past_the_global_limit_are_refused_unread(as_role: Any, path: str) -> None:
    big = b'{"sql": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    response = as_role("viewer").post(path, content=big,
                                      headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_chunked_body_past_the_limit_is_refused(make_settings: Any) -> None:
    from tests.conftest import _open

    for platform in _open(make_settings(max_body_bytes=1000)):
        from sluice.api.app import create_app

        token = (platform.settings.home / "admin-token").read_text().strip()
        with TestClient(create_app(platform, background=False)) as http:
            chunks = iter([b'{"sql": "', b"x" * 2000, b'"}'])
            response = http.post("/api/v1/sql", content=chunks,
                                 headers={"Authorization": f"Bearer {token}",
                                          "content-type": "application/json"})
            assert response.status_code == 413


def test_an_idempotency_key_with_another_body_is_refused(as_role: Any) -> None:
    editor = as_role("editor")
    url = "/api/v1/datasets/ev/rows"
    first = editor.post(url, json={"rows": [{"i": 1}]}, headers={"Idempotency-Key": "k1"})
    again = editor.post(url, json={"rows": [{"i": 1}]}, headers={"Idempotency-Key": "k1"})
    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    other = editor.post(url, json={"rows": [{"i": 2}]}, headers={"Idempotency-Key": "k1"})
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert editor.get("/api/v1/datasets/ev").json()["latest"]["row_count"] == 1


def test_idempotency_keys_belong_to_one_user(as_role: Any) -> None:
    url = "/api/v1/datasets/ev/rows"
    a = as_role("editor").post(url, json={"rows": [{"i": 1}]}, headers={"Idempotency-Key": "k"})
    b = as_role("admin").post(url, json={"rows": [{"i": 2}]}, headers={"Idempotency-Key": "k"})
    assert a.json()["duplicate"] is False and b.json()["duplicate"] is False
    assert as_role("admin").get("/api/v1/datasets/ev").json()["latest"]["row_count"] == 2


def test_a_dataset_with_a_label_schema_can_be_deleted(as_role: Any, platform: Any) -> None:
    editor = as_role("editor")
    editor.post("/api/v1/datasets/lab/rows", json={"rows": [{"text": "hi"}, {"text": "yo"}]})
    assert editor.post("/api/v1/datasets/lab/labels", json={
        "name": "mood", "classes": ["a", "b"]}).status_code == 201
    key = editor.get("/api/v1/datasets/lab/rows").json()["rows"][0]["_key"]
    assert editor.post("/api/v1/datasets/lab/labels/mood/annotations",
                       json={"key": key, "label": "a"}).status_code in (200, 201)
    gone = editor.delete("/api/v1/datasets/lab")
    assert gone.status_code == 204
    assert editor.get("/api/v1/datasets/lab").status_code == 404
    again = editor.post("/api/v1/datasets/lab/rows", json={"rows": [{"text": "new"}]})
    assert again.status_code == 200
    assert editor.get("/api/v1/datasets/lab/labels").json() == []


def test_an_unexpected_error_is_a_json_500_and_the_connection_survives() -> None:
    def boom(request: Any) -> Any:
        raise RuntimeError("bug")

    app = Starlette(routes=[Route("/boom", boom)])
    app.add_middleware(CatchAll)
    with TestClient(app, raise_server_exceptions=True) as http:
        response = http.get("/boom")  # would raise here if the middleware re-raised
        assert response.status_code == 500
        assert response.json()["error"]["code"] == "internal"


def test_an_api_body_without_a_valid_token_is_refused_unread(anon: Any) -> None:
    read: list[int] = []

    def body() -> Any:
        for i in range(100):
            read.append(i)
            yield b"x" * 65536

    for headers in ({}, {"Authorization": "Bearer slc_wrong"}):
        response = anon.post("/api/v1/datasets/d/rows", content=body(),
                             headers={"content-type": "application/json", **headers})
        assert response.status_code == 401
        assert read == []


def test_a_body_of_unterminated_strings_is_scanned_in_linear_time(anon: Any,
                                                                  as_role: Any) -> None:
    """A regular expression over strings went quadratic on this (80 KB: 21 s)."""
    import time

    evil = b'["' + b'\\"' * 400_000  # 800 KB
    started = time.monotonic()
    for client, path in ((anon, "/login"), (anon, "/no/such/route"),
                         (as_role("viewer"), "/api/v1/sql")):
        response = client.post(path, content=evil, headers={"content-type": "application/json"})
        assert response.status_code < 500
    assert time.monotonic() - started < 5


def test_json_bodies_must_be_utf8(as_role: Any) -> None:
    """UTF-16 turned quote bytes into other characters and slipped past the depth check."""
    import json as jsonlib

    deep = jsonlib.dumps([{"name": "d", "details": _nested(900)}]).encode("utf-16")
    response = as_role("editor").post("/api/v1/runs/x/inputs", content=deep,
                                      headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json_encoding"


def test_a_viewer_append_is_refused_before_its_body(as_role: Any) -> None:
    response = as_role("viewer").post("/api/v1/datasets/d/rows", json={"rows": [{"": 1}]})
    assert response.status_code == 403  # not 400: the body was never looked at


def test_a_web_post_without_a_session_is_refused_unread(anon: Any) -> None:
    read: list[int] = []

    def body() -> Any:
        for i in range(10):
            read.append(i)
            yield b"name=x&" * 1000

    response = anon.post("/tokens", content=body(), follow_redirects=False,
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert read == []


def test_the_depth_check_skips_only_bodies_too_small_to_be_deep() -> None:
    from sluice.api.jsondepth import check_json_depth
    from sluice.errors import InvalidInput

    check_json_depth(b'{"a": [1, {"b": 2}]}', 3)  # 3 openers: cannot nest past 3
    with pytest.raises(InvalidInput) as err:
        check_json_depth(b'{"a": [1, {"b": [2]}]}', 3)  # 4 openers, 4 deep: scanned
    assert err.value.code == "json_too_deep"
    check_json_depth(b'[' + b'[1],' * 50 + b'[2]]', 3)  # many openers, 2 deep
    with pytest.raises(InvalidInput):
        check_json_depth('{"a": 1}'.encode("utf-16"), 3)  # encoding still checked


def test_route_policies_are_remembered_per_path_and_method() -> None:
    from sluice.api.policy import Policies, RoutePolicy

    built: list[int] = []
    entry = RoutePolicy(re.compile(r"^/api/v1/runs/(?P<id>[^/]+)$"), frozenset({"POST"}),
                        None, False, "runs.write")

    def build() -> list[RoutePolicy]:
        built.append(1)
        return [entry]

    policies = Policies(build)
    assert policies.match("/api/v1/runs/a", "POST") is entry
    assert policies.match("/api/v1/runs/a", "POST") is entry
    assert policies.match("/api/v1/runs/a", "PUT") is None
    assert policies.match("/elsewhere", "POST") is None
    assert built == [1]
    for i in range(Policies.REMEMBERED + 5):  # a client walking many ids stays bounded
        assert policies.match(f"/api/v1/runs/{i}", "POST") is entry
    assert len(policies._seen) <= Policies.REMEMBERED
