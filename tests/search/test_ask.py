"""Answers with citations: the bundled SmolLM2, the OpenAI-compatible provider against a
real server (Sluice's own /v1), and providers that time out or answer garbage."""

import http.server
import threading
import time

import pytest

from sluice.errors import ExternalService, InvalidInput, NotFound, Timeout
from sluice.sdk.local import LocalClient
from tests.search.providers import LOOPING_START, Looping
from tests.search.test_views_and_search import NOTES

QUESTION = "At what temperature is green tea steeped?"


@pytest.fixture
def notes(door_client):
    door_client.datasets.append("notes", NOTES, key_column="title")
    door_client.views.create("notes_chunks", "notes", chunk_size=40, chunk_overlap=5,
                              auto_sync=False)
    return door_client


def test_ask_streams_an_answer_with_citations_and_a_trace(notes):
    pieces = []
    result = notes.ask("notes_chunks", QUESTION, k=2, max_tokens=12, on_token=pieces.append)
    assert "".join(pieces).strip() == result.answer and result.answer
    assert [c.number for c in result.citations] == [1, 2]
    assert result.citations[0].parent_key == "tea" and result.citations[0].dataset == "notes"
    assert result.llm == "smollm2" and result.prompt == "rag-answer@1"
    assert 1 <= result.completion_tokens <= 12 and result.prompt_tokens > 20
    assert result.style == "both" and "80 degrees" in result.extract and "[1]" in result.extract
    assert result.citations[0].cited  # the extract cites it
    trace = notes.trace(result.trace_id)
    assert [s.name for s in trace.spans] == ["retrieval", "extract", "generation"]
    assert trace.status == "ok" and trace.spans[2].attributes["llm"] == "smollm2"
    assert trace.spans[0].attributes["chunks"] == [c.key for c in result.citations]
    whole = notes.ask("notes", QUESTION, k=1, max_tokens=4)  # not streamed
    assert whole.view == "notes_chunks" and len(whole.citations) == 1
    assert [t.id for t in notes.traces(kind="ask")][:2] == [whole.trace_id, result.trace_id]


def test_an_extract_alone_needs_no_model_and_a_cut_answer_says_so(notes):
    seen = []
    result = notes.ask("notes_chunks", QUESTION, k=2, style="extract", on_extract=seen.append,
                       on_token=seen.append)
    assert seen == [result.extract] and result.answer == result.extract
    assert result.extract.startswith("Green tea is steeped at about 80 degrees")
    assert result.llm == "none" and result.completion_tokens == 0 and not result.notice
    assert [s.name for s in notes.trace(result.trace_id).spans] == ["retrieval", "extract"]
    cut = notes.ask("notes_chunks", "Tell me everything about tea and bread.", k=2,
                    max_tokens=3, style="generate")
    assert cut.stopped_by == "length" and not cut.extract
    assert cut.notice and "cut at 3 tokens" in cut.notice


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"question": "tea", "style": "poem"}, "invalid_ask_style"),
    ({"question": " "}, "query_empty"),
    ({"question": "x" * 3000}, "query_too_long"),
    ({"question": "tea", "k": 0}, "invalid_k"),
    ({"question": "tea", "max_tokens": 100_000}, "invalid_max_tokens"),
])
def test_ask_input_errors(notes, kwargs, code):
    with pytest.raises(InvalidInput) as err:
        notes.ask("notes_chunks", **kwargs)
    assert err.value.code == code


def test_a_failed_ask_leaves_an_error_trace(notes):
    with pytest.raises(NotFound):
        notes.ask("missing", "tea")
    trace = notes.traces(limit=1)[0]
    assert trace.status == "error" and trace.outputs["error"]["code"] == "view_not_found"
    with pytest.raises(NotFound) as err:
        notes.trace("01HZZZZZZZZZZZZZZZZZZZZZZZ")
    assert err.value.code == "trace_not_found"


def test_openai_providers_against_a_real_openai_compatible_server(live_server, make_settings):
    from sluice.platform import Platform

    settings = make_settings(embedder="openai", llm="openai",
                             openai_base_url=f"{live_server.url}/v1",
                             openai_api_key=live_server.token)
    platform = Platform.open(settings)
    client = LocalClient(platform, platform.local_context())
    try:
        client.datasets.append("notes", NOTES, key_column="title")
        view = client.views.create("notes_chunks", "notes", chunk_size=40, chunk_overlap=5)
        assert view.embedder == "openai" and view.dim == 384
        hits = client.search("notes_chunks", "molten rock", mode="vector", k=1).hits
        assert hits[0].parent_key == "volcano"
        pieces = []
        result = client.ask("notes_chunks", QUESTION, k=2, max_tokens=8,
                            on_token=pieces.append)
        assert result.llm == "openai" and result.answer == "".join(pieces).strip()
        assert 1 <= result.completion_tokens <= 8
    finally:
        client.close()


class _Broken(http.server.BaseHTTPRequestHandler):
    mode = "garbage"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.mode == "slow":
            time.sleep(3)
        if self.mode == "error":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"upstream exploded")
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        self.wfile.write(b"data: {not json at all\n\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def broken_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    server.handle_error = lambda *args: None  # the timed-out client hangs up: expected
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.mark.parametrize(("mode", "error", "code"), [
    ("garbage", ExternalService, "provider_bad_response"),
    ("error", ExternalService, "provider_error"),
    ("slow", Timeout, "provider_timeout"),
])
def test_llm_that_fails_gets_a_clear_error_and_search_still_works(
        broken_server, make_settings, mode, error, code):
    from sluice.platform import Platform

    _Broken.mode = mode
    port = broken_server.server_address[1]
    settings = make_settings(llm="openai", openai_base_url=f"http://127.0.0.1:{port}/v1",
                             llm_timeout_seconds=1.0)
    platform = Platform.open(settings)
    client = LocalClient(platform, platform.local_context())
    try:
        client.datasets.append("notes", NOTES, key_column="title")
        client.views.create("notes_chunks", "notes", chunk_size=40, chunk_overlap=5)
        with pytest.raises(error) as err:
            client.ask("notes_chunks", QUESTION, max_tokens=8)
        assert err.value.code == code
        assert client.traces(limit=1)[0].status == "error"
        assert client.search("notes_chunks", "green tea", k=1).hits[0].parent_key == "tea"
    finally:
        client.close()


def test_a_looping_model_is_stopped_and_its_repeats_removed(looping_provider, make_settings):
    from sluice.platform import Platform

    settings = make_settings(llm="openai", openai_base_url=looping_provider,
                             llm_max_tokens=4000, llm_context_tokens=8192)
    platform = Platform.open(settings)
    client = LocalClient(platform, platform.local_context())
    try:
        client.datasets.append("notes", NOTES, key_column="title")
        client.views.create("notes_chunks", "notes", chunk_size=40, chunk_overlap=5)
        pieces = []
        result = client.ask("notes_chunks", QUESTION, k=2, max_tokens=4000,
                            on_token=pieces.append)
        assert result.stopped_by == "repetition"
        assert Looping.sent < 100  # stopped early, not after 2,000 pieces
        assert result.answer == LOOPING_START.strip() + "\n-o"
        assert "repeating itself" in (result.notice or "")
        assert "".join(pieces).count("-o") < 20
        trace = client.trace(result.trace_id)
        assert trace.spans[-1].attributes["stopped_by"] == "repetition"
    finally:
        client.close()
