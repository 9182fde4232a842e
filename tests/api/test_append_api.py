"""Malformed and hostile append payloads: 4xx with the error shape, nothing stored."""

import pytest


@pytest.mark.parametrize("body, code", [
    (b"not json", "invalid_json"),
    (b'{"rows": "nope"}', "invalid_rows"),
    (b'{"rows": [1, 2]}', "invalid_row"),
    (b'{"rows": []}', "empty_batch"),
    (b'[1]', "invalid_rows"),
    (b'{"rows": [{"a": 1}], "key_column": 5}', "invalid_rows"),
])
def test_malformed_payloads(http, body, code):
    response = http.post("/api/v1/datasets/events/rows", content=body,
                         headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    assert http.get("/api/v1/datasets").json() == []


def test_huge_payload_is_refused_before_parsing(http, platform):
    limit = platform.settings.max_append_bytes
    response = http.post("/api/v1/datasets/events/rows", content=b"x" * (limit + 1))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_idempotent_retry_over_http(http):
    body = {"rows": [{"a": 1}, {"a": 2}]}
    first = http.post("/api/v1/datasets/events/rows", json=body,
                      headers={"Idempotency-Key": "k-1"})
    retry = http.post("/api/v1/datasets/events/rows", json=body,
                      headers={"Idempotency-Key": "k-1"})
    assert first.json()["duplicate"] is False and retry.json()["duplicate"] is True
    assert http.get("/api/v1/datasets/events").json()["latest"]["row_count"] == 2


@pytest.mark.parametrize("name", ["..%2F..%2Fetc", "UPPER", "a b", "x" * 65, "%2Fabs"])
def test_path_traversal_and_bad_names(http, name):
    response = http.post(f"/api/v1/datasets/{name}/rows", json={"rows": [{"a": 1}]})
    assert response.status_code in (400, 404)
    assert response.json()["error"]["code"] in ("invalid_name", "route_not_found")


def test_blob_upload_checks_the_digest(http):
    digest = "0" * 64
    response = http.put(f"/api/v1/blobs/{digest}", content=b"hello")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "digest_mismatch"
    response = http.put("/api/v1/blobs/..%2F..%2Fetc%2Fpasswd", content=b"x")
    assert response.status_code in (400, 404)


def test_remote_callers_cannot_ingest_server_paths(http):
    response = http.post("/api/v1/ingest", json={"dataset": "x", "paths": ["/etc"]})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "path_not_allowed"
