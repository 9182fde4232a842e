"""Every page and its JSON twin, in-process (no browser): data, auth, errors."""

import html

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def web(app, admin_token, platform, ctx):
    platform.appends.append(ctx, "tickets", [{"id": i, "body": f"ticket {i}", "score": i * 1.5}
                                             for i in range(40)], key_column="id")
    platform.appends.append(ctx, "tickets", [{"id": 3, "body": "changed", "score": 0.0}])
    with TestClient(app, base_url="http://testserver") as client:
        response = client.post("/login", data={"token": admin_token, "next": "/datasets"},
                               follow_redirects=False)
        assert response.status_code == 303
        assert "sluice_session" in response.cookies
        yield client


def test_pages_need_a_session(anon):
    response = anon.get("/datasets", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert anon.get("/datasets.json").status_code == 401
    bad = anon.post("/login", data={"token": "slc_wrong"})
    assert bad.status_code == 401 and "not valid" in bad.text


def test_json_twins_match_the_pages(web):
    listing = web.get("/datasets.json").json()
    assert [d["name"] for d in listing["datasets"]] == ["tickets"]
    assert "tickets" in web.get("/datasets").text
    page = web.get("/datasets/tickets.json").json()
    assert page["version"] == 2 and page["rows"]["total"] == 40
    assert [v["number"] for v in page["versions"]] == [2, 1]
    html = web.get("/datasets/tickets?offset=25").text
    assert "Rows 26–40 of 40" in html
    old = web.get("/datasets/tickets.json?version=1").json()
    assert old["version"] == 1
    diff = web.get("/datasets/tickets/diff.json?from=1&to=2").json()
    assert diff["diff"]["changed"] == 1
    assert "~1" in web.get("/datasets/tickets/diff?from=1&to=2").text


def test_sql_console(web):
    ok = web.get("/sql.json", params={"q": "SELECT count(*) AS n FROM tickets"}).json()
    assert ok["result"]["rows"] == [{"n": 40}] and ok["error"] is None
    bad = web.get("/sql.json", params={"q": "DROP TABLE tickets"}).json()
    assert bad["error"]["code"] == "sql_not_read_only"
    html = web.get("/sql", params={"q": "SELECT id FROM tickets ORDER BY id LIMIT 3"}).text
    assert 'id="sql-result"' in html
    csv = web.get("/sql/export", params={"q": "SELECT id FROM tickets ORDER BY id LIMIT 2",
                                         "format": "csv"})
    assert csv.text.splitlines() == ['"id"', "0", "1"]


def test_quality_restore_and_jobs_from_the_browser_forms(web, platform, ctx):
    headers = {"origin": "http://testserver"}
    run = web.post("/datasets/tickets/quality", data={"version": 2}, headers=headers,
                   follow_redirects=False)
    assert run.status_code == 303 and run.headers["location"].startswith("/jobs/")
    job_id = run.headers["location"].split("/")[2].split("?")[0]
    platform.jobs.wait(ctx, job_id, timeout=60)
    job = web.get(f"/jobs/{job_id}.json").json()
    assert job["job"]["state"] == "succeeded"
    assert 'data-percent="100.0"' in web.get(f"/jobs/{job_id}").text  # done is 100%
    page = web.get("/datasets/tickets.json").json()
    assert page["quality"]["report"]["row_count"] == 40
    assert page["charts"]["nulls"]
    html = web.get("/datasets/tickets").text
    assert "Quality of @2" in html
    assert 'data-confirm="Make v1 the latest version of tickets?' in html  # asked first
    restored = web.post("/datasets/tickets/restore", data={"version": 1}, headers=headers,
                        follow_redirects=False)
    assert restored.status_code == 303
    assert platform.datasets.version(ctx, "tickets").operation == "restore"
    assert any(j["id"] == job_id for j in web.get("/jobs.json").json()["jobs"])


def test_the_favicon_needs_no_login(anon):
    icon = anon.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg") and "<script" not in icon.text


def test_cross_site_posts_are_refused(web):
    response = web.post("/datasets/tickets/restore", data={"version": 1},
                        headers={"origin": "http://evil.example"})
    assert response.status_code == 403


def test_upload_ingests_files(web, platform, ctx):
    files = [("files", ("notes.md", b"# Notes\n\nhello", "text/markdown")),
             ("files", ("data.csv", b"a,b\n1,2\n", "text/csv"))]
    response = web.post("/upload", data={"dataset": "uploads", "mode": "documents"},
                        files=files, headers={"origin": "http://testserver"},
                        follow_redirects=False)
    assert response.status_code == 303
    job_id = response.headers["location"].split("/")[2].split("?")[0]
    assert platform.jobs.wait(ctx, job_id, timeout=60).state == "succeeded"
    rows = platform.sql.query(ctx, "SELECT name, title FROM uploads ORDER BY name").rows()
    assert rows == [{"name": "data.csv", "title": None}, {"name": "notes.md", "title": "Notes"}]
    assert web.get("/upload.json").json()["datasets"] == ["tickets", "uploads"]


def test_errors_render_as_pages_and_json(web):
    page = web.get("/datasets/missing")
    assert page.status_code == 404 and "does not exist" in page.text and "<html" in page.text
    twin = web.get("/datasets/missing.json")
    assert twin.status_code == 404 and twin.json()["error"]["code"] == "dataset_not_found"


def test_tokens_page_creates_shows_once_and_revokes(web, platform):
    headers = {"origin": "http://testserver"}
    page = web.post("/tokens", data={"name": "notebook"}, headers=headers)
    assert page.status_code == 200 and 'id="new-token-secret"' in page.text
    secret = page.text.split('id="new-token-secret">')[1].split("<")[0]
    assert platform.auth.authenticate(secret).name == "admin"
    listed = web.get("/tokens.json").json()["tokens"]
    token = next(t for t in listed if t["name"] == "notebook")
    assert secret not in web.get("/tokens").text
    web.post(f"/tokens/{token['id']}/revoke", headers=headers)
    assert next(t for t in web.get("/tokens.json").json()["tokens"]
                if t["name"] == "notebook")["revoked"] is True


def test_streams_page_starts_a_consumer(web, platform, ctx):
    headers = {"origin": "http://testserver"}
    refused = web.post("/streams/redis", data={"dataset": "ev", "stream": "web-test-s",
                                               "url": "redis://127.0.0.1:1/0"},
                       headers=headers, follow_redirects=False)
    assert refused.status_code == 403 and "host_not_allowed" in refused.text
    response = web.post("/streams/redis", data={"dataset": "ev", "stream": "web-test-s",
                                                "url": "redis://127.0.0.1:6379/0"},
                        headers=headers, follow_redirects=False)
    assert response.status_code == 303
    job_id = response.headers["location"].split("/")[2].split("?")[0]
    consumers = web.get("/streams.json").json()["consumers"]
    assert consumers[0]["id"] == job_id and consumers[0]["params"]["stream"] == "web-test-s"
    platform.jobs.cancel(ctx, job_id)
    assert platform.jobs.wait(ctx, job_id, timeout=30).state.finished


def test_audit_page(web):
    events = web.get("/audit.json").json()["events"]
    assert any(e["action"] == "dataset.append" for e in events)
    assert "dataset.append" in web.get("/audit").text


def test_users_are_managed_on_the_tokens_page(web, platform):
    headers = {"origin": "http://testserver"}
    web.post("/users", data={"name": "ana", "role": "editor"}, headers=headers)
    data = web.get("/tokens.json").json()
    assert {u["name"]: u["role"] for u in data["users"]} == {"admin": "admin", "ana": "editor"}
    page = web.post("/tokens", data={"name": "ana-key", "user": "ana"}, headers=headers)
    secret = page.text.split('id="new-token-secret">')[1].split("<")[0]
    assert platform.auth.authenticate(secret).name == "ana"


def test_a_succeeded_job_is_100_percent_whatever_its_counters_said() -> None:
    from types import SimpleNamespace

    from sluice.core.jobs.models import JobState
    from sluice.web.templating import done_percent

    def job(state: JobState, done: int, total: int) -> SimpleNamespace:
        return SimpleNamespace(state=state, progress_done=done, progress_total=total)

    assert done_percent(job(JobState.SUCCEEDED, 1, 2)) == 100.0
    assert done_percent(job(JobState.RUNNING, 1, 4)) == 25.0
    assert done_percent(job(JobState.RUNNING, 0, 0)) is None
    assert done_percent(job(JobState.FAILED, 0, 0)) is None
    assert done_percent(job(JobState.FAILED, 1, 2)) == 50.0  # how far it got


def test_compare_with_nothing_chosen_says_what_to_do(web):
    page = web.get("/compare")
    assert page.status_code == 400 and "choose 2 to" in page.text
    assert "Field required" not in page.text
    assert web.get("/compare.json").json()["error"]["code"] == "invalid_compare"


def test_a_wrong_method_page_says_405(web):
    page = web.get("/users")  # the route takes POST only
    assert page.status_code == 405 and "HTTP 405" in page.text and "method_not_allowed" in page.text


def test_the_diff_shows_which_columns_changed_and_how(web):
    data = web.get("/datasets/tickets/diff.json?from=1&to=2").json()
    row = next(r for r in data["diff"]["rows"] if r["change"] == "changed")
    assert row["changed_columns"] == ["body", "score"]
    html = web.get("/datasets/tickets/diff?from=1&to=2").text
    assert 'data-column="body"' in html and "<ins>" in html and "<del>" in html
    assert 'id="no-differences"' not in html
    same = web.get("/datasets/tickets/diff?from=2&to=2").text
    assert 'id="no-differences"' in same and 'id="diff-rows"' not in same


def test_a_change_deep_in_a_long_text_stays_in_view() -> None:
    from sluice.web.textdiff import inline_diff

    before = "x" * 3000 + " card 4111 1111 1111 1111 " + "y" * 3000
    after = before.replace("4111 1111 1111 1111", "[CREDIT_CARD]")
    runs = inline_diff(before, after)
    shown = "".join(r["text"] for r in runs)
    assert len(shown) < 400 and "[CREDIT_CARD]" in shown and "4111" in shown
    assert {r["op"] for r in runs} == {"keep", "del", "ins"}
    assert inline_diff(None, 3) == [{"op": "del", "text": "∅"}, {"op": "ins", "text": "3"}]


def test_a_bad_query_parameter_gets_the_one_error_style_in_words(web, admin_token):
    words = "the query parameter 'offset' must be a whole number (got 'abc')"
    page = web.get("/datasets/tickets?offset=abc")
    assert page.status_code == 400 and "error-card" in page.text
    assert words in html.unescape(page.text) and "Input should be" not in page.text
    twin = web.get("/datasets/tickets.json?offset=abc").json()["error"]
    assert twin["code"] == "invalid_request" and twin["message"] == words
    api = web.get("/api/v1/datasets/tickets/rows?offset=abc",
                  headers={"Authorization": f"Bearer {admin_token}"})
    assert api.status_code == 400 and api.json()["error"]["message"] == words
