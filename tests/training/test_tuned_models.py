"""A fine-tuned adapter used as a language model: by ``name@alias`` on the OpenAI routes
and in ``ask``, listed by ``/v1/models``; merged into its base on request (REST and CLI),
the merged model answering exactly as the adapter merged in memory; models that are not
language models get a code."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.errors import InvalidInput, NotFound
from tests.cli.test_cli import js, run
from tests.training.test_finetune import _capitals

pytestmark = pytest.mark.slow
QUESTION = [{"role": "user", "content": "What is the capital of Norway?"}]


@pytest.fixture
def tuned(platform: Any) -> Any:
    from sluice.sdk.local import LocalClient

    client = LocalClient(platform, platform.local_context(), owns_platform=False)
    client.finetune(_capitals(client), prompt_column="question", response_column="answer",
                    steps=4, batch_size=4, max_length=64, learning_rate=5e-3,
                    eval_fraction=0.0, register="capitals-lora")
    client.models.set_alias("capitals-lora", "prod", 1)
    return client


def _chat(http: Any, model: str) -> Any:
    return http.post("/v1/chat/completions", json={"model": model, "messages": QUESTION,
                                                   "max_tokens": 8})


def test_an_adapter_answers_by_alias_and_merges_into_a_model_that_answers_alike(
        tuned: Any, http: Any, platform: Any) -> None:
    import torch

    listed = [m["id"] for m in http.get("/v1/models").json()["data"]]
    assert "capitals-lora/1" in listed and "smollm2" in listed
    reply = _chat(http, "capitals-lora@prod")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["model"] == "capitals-lora@prod" and body["usage"]["completion_tokens"] > 0
    ctx = platform.local_context()
    adapter = platform.language_models.get(ctx, "capitals-lora@prod").model
    base = platform.language_models.get(ctx, "smollm2").model
    name, weight = next((n, p) for n, p in adapter.named_parameters() if "q_proj" in n)
    assert not torch.equal(weight, dict(base.named_parameters())[name])  # the adapter is in

    merged = http.post("/api/v1/training/merge", json={"adapter": "capitals-lora@prod",
                                                       "name": "capitals-merged"})
    assert merged.status_code == 200, merged.text
    assert merged.json()["tags"]["sluice.training"] == "merged"
    card = tuned.models.card("capitals-merged")
    assert card.format == "safetensors" and "model.safetensors" in " ".join(card.files)
    again = _chat(http, "capitals-merged/1").json()
    assert again["choices"][0]["message"]["content"] == \
        body["choices"][0]["message"]["content"]


def test_models_that_are_not_language_models_get_codes(tuned: Any, http: Any,
                                                        platform: Any) -> None:
    assert _chat(http, "nope@prod").status_code == 404
    tuned.training.merge("capitals-lora@prod", "m1")
    with pytest.raises(InvalidInput) as err:
        tuned.training.merge("m1/1", "m2")  # a merged model is no adapter
    assert err.value.code == "not_an_adapter"
    with pytest.raises(NotFound) as missing:
        tuned.ask("no-view", "Which?", model="nope/1")  # the model is checked first
    assert "nope" in missing.value.message
    home = platform.settings.home
    failed = run(home, "training", "merge", "nope@prod", "x", "--json", check=False)
    assert failed.returncode != 0 and "nope" in failed.stdout + failed.stderr
    merged = js(run(home, "training", "merge", "capitals-lora/1", "via-cli", "--json"))
    assert merged["name"] == "via-cli" and merged["tags"]["adapter"] == "capitals-lora/1"
