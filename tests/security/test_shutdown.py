"""A real `sluice up`: a client that disconnects stops its generation, and SIGTERM stops
the server within 10 s whatever runs (a stream consumer, a generation), marking its jobs."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, free_port

pytestmark = pytest.mark.slow
CHAT = "/v1/chat/completions"
STORY = [{"role": "user", "content": "Tell me a very long story about a river and a boat."}]


def _wait_running(server: LiveServer, headers: dict[str, str], job_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = httpx.get(f"{server.url}/api/v1/jobs/{job_id}", headers=headers).json()["state"]
        if state == "running":
            return
        assert state == "queued", state
        time.sleep(0.2)
    raise AssertionError("the consumer never started")


def _first_chunk_then(server: LiveServer, headers: dict[str, str], started: threading.Event,
                      hold: threading.Event) -> None:
    body = {"messages": STORY, "max_tokens": 256, "stream": True}
    try:
        with httpx.stream("POST", server.url + CHAT, json=body, headers=headers,
                          timeout=60) as response:
            for _ in response.iter_lines():
                started.set()
                hold.wait(30)
                return
    except httpx.HTTPError:
        started.set()


def test_disconnects_stop_generations_and_sigterm_stops_the_server(tmp_path: Path) -> None:
    from tests.security.test_jobs_and_streams import _drop_streams, _redis_or_skip

    _redis_or_skip()
    server = LiveServer(tmp_path / "home", free_port())
    stream = f"stop-{uuid.uuid4().hex}"
    server.start()
    try:
        headers = {"Authorization": f"Bearer {server.token}"}
        _a_disconnect_frees_the_model(server, headers)
        consumer = httpx.post(f"{server.url}/api/v1/streams/redis", headers=headers, json={
            "dataset": "ev", "stream": stream}).json()
        _wait_running(server, headers, consumer["id"])
        started, hold = threading.Event(), threading.Event()
        talker = threading.Thread(target=_first_chunk_then,
                                  args=(server, headers, started, hold), daemon=True)
        talker.start()
        assert started.wait(60), "the generation did not start"
        took = server.stop()  # SIGTERM: fails the test past 10 s
        hold.set()
        assert took < 10, took
        print(f"stopped in {took:.1f} s")
    finally:
        server.stop()
        _drop_streams([stream])
    _consumer_was_marked(server.home, consumer["id"])


def _a_disconnect_frees_the_model(server: LiveServer, headers: dict[str, str]) -> None:
    started, hold = threading.Event(), threading.Event()
    hold.set()  # read the first chunk, then hang up
    _first_chunk_then(server, headers, started, hold)
    assert started.is_set()
    begun = time.monotonic()
    quick = httpx.post(server.url + CHAT, headers=headers, timeout=60, json={
        "messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 3})
    assert quick.status_code == 200
    assert time.monotonic() - begun < 10, "the abandoned generation kept the model busy"


def _consumer_was_marked(home: Path, job_id: str) -> None:
    from sluice.platform import Platform
    from sluice.settings import load_settings

    platform = Platform.open(load_settings(env={}, home=home), migrate=False)
    try:
        job: Any = platform.jobs.get(platform.local_context(), job_id)
        assert job.state in ("cancelled", "failed", "succeeded"), job.state
    finally:
        platform.close()
