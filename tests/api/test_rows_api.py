"""``GET /api/v1/datasets/{ref}/rows`` with a sort and a filter: the query, the error shape,
the OpenAPI entry, and no rows without a token."""


def _people(http):
    rows = [{"id": i, "name": f"p{i}", "score": i % 4} for i in range(1, 13)]
    http.post("/api/v1/datasets/people/rows", json={"rows": rows, "key_column": "id"}
              ).raise_for_status()


def test_sort_and_filter_over_http(http):
    _people(http)
    page = http.get("/api/v1/datasets/people/rows",
                    params={"sort": "score", "desc": "true", "where": "id > 6", "limit": 3})
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["total"] == 6 and [r["score"] for r in body["rows"]] == [3, 3, 2]
    assert (body["sort"], body["descending"], body["where"]) == ("score", True, "id > 6")


def test_bad_sort_and_filter_answer_400_with_the_error_shape(http):
    _people(http)
    bad = http.get("/api/v1/datasets/people/rows", params={"sort": "nope"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "column_not_found"
    assert "score" in bad.json()["error"]["details"]["available"]
    worse = http.get("/api/v1/datasets/people/rows", params={"where": "1=1) OR (1=1"})
    assert worse.status_code == 400 and worse.json()["error"]["code"] == "invalid_filter"


def test_the_parameters_are_documented_and_the_route_needs_a_token(http, anon):
    spec = http.get("/openapi.json").json()
    params = spec["paths"]["/api/v1/datasets/{ref}/rows"]["get"]["parameters"]
    documented = {p["name"]: p for p in params}
    assert {"offset", "limit", "columns", "sort", "desc", "where"} <= set(documented)
    assert documented["where"].get("description")
    refused = anon.get("/api/v1/datasets/people/rows", params={"sort": "id"})
    assert refused.status_code == 401
