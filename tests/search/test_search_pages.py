"""The search page, its JSON twin, the new-view form and the document page (no browser)."""

from fastapi.testclient import TestClient

from sluice.core.jobs.models import JobState

ROWS = [
    {"title": "tea.md", "text": "# Tea\n\nGreen tea is steeped at 80 degrees <b>briefly</b>."},
    {"title": "lava.md", "text": "# Lava\n\nBasalt forms when lava cools quickly."},
]


def _login(app, token):
    client = TestClient(app, base_url="http://testserver")
    assert client.post("/login", data={"token": token, "next": "/search"},
                       follow_redirects=False).status_code == 303
    return client


def test_search_page_creates_views_and_finds_documents(app, admin_token, platform, ctx):
    platform.appends.append(ctx, "notes", ROWS, key_column="title")
    with _login(app, admin_token) as web:
        empty = web.get("/search.json").json()
        assert empty["views"] == [] and empty["sources"] == ["notes"]
        assert "No views yet" in web.get("/search").text
        made = web.post("/views/new", data={"name": "notes_chunks", "source": "notes",
                                            "chunk_size": "64"},
                        headers={"origin": "http://testserver"}, follow_redirects=False)
        assert made.status_code == 303 and made.headers["location"].startswith("/jobs/")
        job_id = made.headers["location"].split("/")[2].split("?")[0]
        assert platform.jobs.wait(ctx, job_id).state == JobState.SUCCEEDED
        page = web.get("/search.json", params={"q": "steeping green tea", "mode": "text"}).json()
        top = page["results"]["hits"][0]
        assert page["view"] == "notes_chunks" and top["parent_key"] == "tea.md"
        html = web.get("/search", params={"q": "green tea", "view": "notes_chunks"}).text
        assert "<mark>Green</mark>" in html and "&lt;b&gt;briefly" in html  # escaped text
        bad = web.get("/search.json", params={"q": "tea", "mode": "fuzzy"}).json()
        assert bad["error"]["code"] == "invalid_search_mode"
        doc = web.get("/datasets/notes/document.json",
                      params={"key": "lava.md", "start": 8, "end": 14}).json()
        assert doc["text"].startswith("# Lava") and doc["spans"] == [[8, 14]]
        assert "<mark>Basalt</mark>" in web.get(
            "/datasets/notes/document", params={"key": "lava.md", "start": 8, "end": 14}).text
        missing = web.get("/datasets/notes/document.json", params={"key": "nope"})
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "row_not_found"


def test_ask_page_streams_and_traces_pages(app, admin_token, platform, ctx):
    platform.appends.append(ctx, "notes", ROWS, key_column="title")
    platform.views.create(ctx, "notes_chunks", "notes", chunk_size=64, chunk_overlap=8,
                          sync=False)
    job = platform.views.sync(ctx, "notes_chunks")
    platform.jobs.wait(ctx, job.id)
    with _login(app, admin_token) as web:
        assert 'id="ask-form"' in web.get("/ask").text
        streamed = web.post("/ask/stream", data={"view": "notes_chunks", "q": "green tea?",
                                                 "k": "1"},
                            headers={"origin": "http://testserver"})
        assert streamed.headers["content-type"].startswith("text/event-stream")
        events = [line[6:].strip() for line in streamed.text.splitlines()
                  if line.startswith("event:")]
        assert events[0] == "sources" and events[-1] == "done" and "token" in events
        bad = web.post("/ask/stream", data={"view": "notes_chunks", "q": " "},
                       headers={"origin": "http://testserver"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "query_empty"
        foreign = web.post("/ask/stream", data={"view": "notes_chunks", "q": "tea"},
                           headers={"origin": "http://evil.example"})
        assert foreign.status_code == 403
        whole = web.get("/ask.json", params={"q": "green tea?", "k": 1}).json()
        assert whole["result"]["citations"][0]["parent_key"] == "tea.md"
        traces = web.get("/traces.json").json()["traces"]
        assert len(traces) == 2 and traces[0]["id"] == whole["result"]["trace_id"]
        page = web.get(f"/traces/{traces[0]['id']}").text
        assert "span-bar" in page and "generation" in page
