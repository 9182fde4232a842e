"""Every model call is bounded before it starts and stoppable while it runs, and no user
(a viewer included) spends more model time than its budget."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def llm(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from sluice.inference.llms import get_llm
    from sluice.settings import load_settings

    settings = load_settings(env={}, home=tmp_path_factory.mktemp("llm"))
    return get_llm(settings, "smollm2")


def test_a_huge_prompt_is_refused_before_generation(as_role: Any) -> None:
    viewer = as_role("viewer")
    huge = {"messages": [{"role": "user", "content": "hi " * 200_000}], "max_tokens": 5}
    for _ in range(2):  # the first call also loads the model (slow on a busy machine)
        started = time.monotonic()
        response = viewer.post("/v1/chat/completions", json=huge)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "prompt_too_long"
    assert time.monotonic() - started < 10  # refused, not generated


def test_a_prompt_just_past_the_context_is_counted_and_refused(as_role: Any) -> None:
    response = as_role("viewer").post("/v1/chat/completions", json={
        "messages": [{"role": "user", "content": "hi " * 2100}], "max_tokens": 5})
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert details["prompt_tokens"] > 2000 and details["context_tokens"] == 2048


def test_setting_cancel_stops_a_generation_and_frees_the_model(llm: Any) -> None:
    from sluice.inference.llms import Usage

    cancel, usage = threading.Event(), Usage()
    messages = [{"role": "user", "content": "Write a long story about a river."}]
    pieces = []
    for piece in llm.stream(messages, max_tokens=200, usage=usage, cancel=cancel):
        pieces.append(piece)
        cancel.set()
    assert usage.stopped_by == "cancelled" and usage.completion_tokens < 10
    assert llm._lock.acquire(timeout=1)
    llm._lock.release()


def test_an_abandoned_stream_stops_its_generation(llm: Any) -> None:
    from sluice.inference.llms import Usage

    stream = llm.stream([{"role": "user", "content": "Count to one hundred."}],
                        max_tokens=200, usage=Usage())
    next(stream)
    stream.close()  # a client that went away
    started = time.monotonic()
    assert llm._lock.acquire(timeout=5), "the generation kept the model"
    llm._lock.release()
    assert time.monotonic() - started < 5


def test_embeddings_past_the_character_budget_are_refused(as_role: Any) -> None:
    response = as_role("viewer").post("/v1/embeddings", json={"input": ["x" * 1000] * 2000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "embed_too_large"


def _limited_app(make_settings: Any, **limits: Any) -> Any:
    from sluice.api.app import create_app
    from sluice.core.context import Role
    from tests.conftest import _open

    for platform in _open(make_settings(**limits)):
        ctx = platform.local_context()
        platform.auth.create_user(ctx, "viewer", Role.VIEWER)
        token = platform.auth.create_token(ctx, "t", user="viewer").token
        with TestClient(create_app(platform, background=False)) as http:
            http.headers["Authorization"] = f"Bearer {token}"
            yield http


def test_model_time_is_budgeted_per_user(make_settings: Any) -> None:
    for http in _limited_app(make_settings, model_seconds_per_minute=0.001):
        first = http.post("/v1/embeddings", json={"input": ["a sentence to embed"]})
        assert first.status_code == 200
        second = http.post("/v1/embeddings", json={"input": ["another"]})
        assert second.status_code == 429
        assert second.json()["error"]["code"] == "model_budget_exhausted"
        assert 1 <= int(second.headers["retry-after"]) <= 60
        chat = http.post("/v1/chat/completions",
                         json={"messages": [{"role": "user", "content": "hi"}]})
        assert chat.status_code == 429


def test_model_requests_are_rate_limited_per_user(make_settings: Any) -> None:
    for http in _limited_app(make_settings, model_requests_per_minute=2):
        for _ in range(2):
            assert http.post("/v1/embeddings", json={"input": "x"}).status_code == 200
        third = http.post("/v1/embeddings", json={"input": "x"})
        assert third.status_code == 429 and third.json()["error"]["code"] == "rate_limited"


def test_ask_is_metered_too(make_settings: Any) -> None:
    for http in _limited_app(make_settings, model_requests_per_minute=1):
        http.post("/v1/embeddings", json={"input": "x"})
        asked = http.post("/api/v1/ask", json={"view": "nothing", "question": "why?"})
        assert asked.status_code == 429


def test_concurrent_calls_reserve_their_time_before_they_run() -> None:
    """Charging only after a call finished let 47 simultaneous calls in against a 60 s
    budget; now each reserves its estimate when it is admitted."""
    from sluice.core.context import Ctx, Principal, Role
    from sluice.core.limits.budget import ModelBudget
    from sluice.errors import RateLimited

    ctx = Ctx("p", "default", Principal("u", "viewer", Role.VIEWER))
    budget = ModelBudget(seconds_per_minute=60, requests_per_minute=1000)
    first = budget.admit(ctx, estimate=25)
    budget.admit(ctx, estimate=25)
    budget.admit(ctx, estimate=25)  # 50 s reserved, 10 s left: admitted
    with pytest.raises(RateLimited):
        budget.admit(ctx, estimate=25)
    budget.settle(first, 0.5)  # the first took half a second: its reservation shrinks
    budget.admit(ctx, estimate=1)


@pytest.mark.parametrize("spelling", ['embed', '"embed"', "embed/**/", 'system.main."embed"'])
def test_sql_embed_is_metered_however_it_is_spelled(make_settings: Any, spelling: str) -> None:
    for http in _limited_app(make_settings, model_requests_per_minute=1):
        first = http.post("/api/v1/sql", json={"query": "SELECT embed(NULL) AS v"})
        assert first.status_code == 200
        again = http.post("/api/v1/sql", json={"query": f"SELECT {spelling}(NULL) AS v"})
        assert again.status_code == 429


def test_waiting_for_the_model_is_not_charged() -> None:
    from sluice.core.context import Ctx, Principal, Role
    from sluice.core.limits.budget import ModelBudget

    ctx = Ctx("p", "default", Principal("u", "viewer", Role.VIEWER))
    budget = ModelBudget(seconds_per_minute=60, requests_per_minute=1000)
    with budget.spend(ctx, estimate=30) as meter:
        time.sleep(0.3)
        meter.waited = 0.3  # all of it spent waiting for the model lock
    assert budget._time.used("u") < 0.05


def test_a_reply_dropped_before_it_began_costs_nothing(platform: Any, llm: Any) -> None:
    import gc

    from sluice.inference.llms import Usage

    ctx = platform.local_context()
    pieces = platform.chat.chat(ctx, [{"role": "user", "content": "hi"}], max_tokens=64,
                                usage=Usage(), cancel=threading.Event())
    assert platform.model_budget._time.used(ctx.actor.user_id) > 5  # reserved
    del pieces
    gc.collect()
    assert platform.model_budget._time.used(ctx.actor.user_id) == 0
