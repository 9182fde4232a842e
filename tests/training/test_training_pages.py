"""The Train pages and their JSON twins, in-process (the browser test drives them too)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.training.test_training_doors import cancer_frame


@pytest.fixture
def web(app: Any, admin_token: str, platform: Any, ctx: Any) -> Any:
    platform.appends.append(ctx, "cancer", cancer_frame().to_dict("records"))
    with TestClient(app, base_url="http://testserver") as client:
        client.post("/login", data={"token": admin_token, "next": "/datasets"})
        yield client


def test_pick_check_start_watch_and_register(web: Any) -> None:
    assert web.get("/train.json").json()["datasets"] == ["cancer"]
    columns = web.get("/train.json?dataset=cancer").json()["preview"]["columns"]
    assert "diagnosis" in columns and "_key" not in columns
    preview = web.get("/train.json?dataset=cancer&target=diagnosis").json()["preview"]
    assert preview["task"] == "binary" and preview["classes"] == {"benign": 357,
                                                                  "malignant": 212}
    assert len(preview["features"]) == 30 and preview["problem"] is None
    missing = web.get("/train.json?dataset=cancer&target=nope").json()["preview"]
    assert missing["problem"]["code"] == "target_not_found"
    page = web.get("/train?dataset=cancer&target=diagnosis").text
    assert "Detected task" in page and "Start training" in page

    started = web.post("/train", data={"dataset": "cancer", "target": "diagnosis",
                                       "budget": "2", "register_as": "web-model"},
                       follow_redirects=False)
    assert started.status_code == 303
    url = started.headers["location"]
    deadline = time.monotonic() + 60
    while (state := web.get(url + ".json").json()["training"]["state"]) != "succeeded":
        assert state in ("queued", "running") and time.monotonic() < deadline, state
        time.sleep(0.2)
    shown = web.get(url).text
    assert "Leaderboard" in shown and "Register the best model" in shown
    assert "web-model v1" in web.get(url + "/live").text
    registered = web.post(url + "/register", data={"name": "web-model"},
                          follow_redirects=False)
    assert registered.headers["location"] == "/models/web-model/card?version=2"
    assert "sluice (safe to load)" in web.get(registered.headers["location"]).text


def test_a_start_it_cannot_do_shows_the_reason(web: Any) -> None:
    bad = web.post("/train", data={"dataset": "cancer", "target": "diagnosis", "budget": "0"})
    assert bad.status_code == 400 and "budget" in bad.text


def test_fine_tune_from_the_train_page(web: Any, platform: Any, ctx: Any) -> None:
    platform.appends.append(ctx, "sums", [{"q": f"What is {a} plus {a}?", "a": str(2 * a)}
                                          for a in range(4)])
    started = web.post("/finetune", data={"dataset": "sums", "prompt_column": "q",
                                          "response_column": "a", "steps": "1",
                                          "register_as": "sums-lora"},
                       follow_redirects=False)
    assert started.status_code == 303
    url = started.headers["location"]
    deadline = time.monotonic() + 120
    while (state := web.get(url + ".json").json()["tuned"]["state"]) != "succeeded":
        assert state in ("queued", "running") and time.monotonic() < deadline, state
        time.sleep(0.5)
    tuned = web.get(url + ".json").json()["tuned"]
    assert tuned["result"]["steps"] == 1 and tuned["loss_curve"]["steps"] == [0]
    assert "Training loss by step" in web.get(url).text
    assert tuned["id"][:8] in web.get("/train").text
    missing = web.post("/finetune", data={"dataset": "sums", "prompt_column": "nope"})
    assert missing.status_code == 400 and "nope" in missing.text
    page = web.get(url).text
    assert "--model sums-lora/1" in page and 'id="finetuning-merge"' in page
    merged = web.post(url + "/merge", data={"name": "sums-merged"}, follow_redirects=False)
    assert merged.status_code == 303, merged.text
    assert merged.headers["location"] == "/models/sums-merged/card?version=1"
    assert "merged" in web.get(merged.headers["location"]).text
