"""LoRA fine-tuning of the bundled SmolLM2 through the SDK, locally and over REST: the
adapter is trained, measured before and after on held-out pairs, tracked step by step and
registered with its base; bad requests get codes and register nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sluice.errors import InvalidInput, SluiceError

CAPITALS = {"France": "Paris", "Germany": "Berlin", "Italy": "Rome", "Spain": "Madrid",
            "Portugal": "Lisbon", "Austria": "Vienna", "Poland": "Warsaw",
            "Greece": "Athens", "Norway": "Oslo", "Sweden": "Stockholm",
            "Finland": "Helsinki", "Ireland": "Dublin", "Hungary": "Budapest",
            "Denmark": "Copenhagen", "Belgium": "Brussels", "Egypt": "Cairo"}


@pytest.fixture
def capitals(door_client: Any) -> str:
    return _capitals(door_client)


def _capitals(client: Any) -> str:
    client.datasets.append("capitals", [
        {"question": f"What is the capital of {country}?", "answer": city}
        for country, city in CAPITALS.items()])
    return "capitals"


def test_a_lora_adapter_is_trained_measured_tracked_and_registered(platform: Any) -> None:
    """In-process only (generation before and after is slow); REST runs the other tests."""
    from sluice.sdk.local import LocalClient

    door_client = LocalClient(platform, platform.local_context(), owns_platform=False)
    capitals = _capitals(door_client)
    tuned = door_client.finetune(capitals, prompt_column="question", response_column="answer",
                                 steps=6, batch_size=4, max_length=64, learning_rate=2e-3,
                                 eval_fraction=0.25, eval_answers=1, register="capitals-lora")
    r = tuned.result
    assert tuned.state == "succeeded" and r.base == "smollm2" and r.steps == 6
    assert r.pairs == 12 and r.eval_pairs == 4 and r.tokens > 0 and r.tokens_per_second > 0
    assert r.after.loss < r.before.loss and r.after.perplexity < r.before.perplexity
    assert 0.0 <= r.after.contains <= 1.0
    assert tuned.loss_curve["steps"] == list(range(6))
    assert r.registered == {"name": "capitals-lora", "version": 1}
    card = door_client.models.card("capitals-lora")
    assert card.format == "safetensors" and card.safe_format
    assert any(f.endswith("adapter_config.json") for f in card.files)
    assert card.metrics["eval_loss_after"] == pytest.approx(r.after.loss)


def test_bad_fine_tuning_requests_get_codes_and_register_nothing(
        door_client: Any, capitals: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        door_client.finetune(capitals)  # no prompt/response columns
    assert err.value.code == "column_not_found"
    with pytest.raises(SluiceError) as err:
        door_client.finetune(capitals, prompt_column="question", response_column="answer",
                             base=str(tmp_path))
    remote = type(door_client).__name__ == "RemoteClient"  # only model_roots, none here
    assert err.value.code == ("path_not_allowed" if remote else "invalid_base_model")
    door_client.datasets.append("one", [{"prompt": "Hi?", "response": "Hello."}])
    with pytest.raises(SluiceError) as failed:
        door_client.finetune("one", register="never")
    assert failed.value.code == "dataset_too_small"
    assert door_client.models.list() == []


def test_a_remote_base_folder_must_be_under_model_roots(
        make_settings: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from sluice.api.app import create_app
    from sluice.platform import Platform
    from sluice.sdk.remote import RemoteClient

    allowed, other = tmp_path / "models", tmp_path / "elsewhere"
    (allowed / "tiny").mkdir(parents=True)
    (other / "tiny").mkdir(parents=True)
    platform = Platform.open(make_settings(model_roots=[allowed]))
    try:
        platform.bootstrap()
        token = (platform.settings.home / "admin-token").read_text().strip()
        with TestClient(create_app(platform, background=False),
                        base_url="http://testserver") as tc:
            client = RemoteClient("http://testserver", token, http_client=tc)
            _capitals(client)
            ask = {"prompt_column": "question", "response_column": "answer"}
            with pytest.raises(SluiceError) as err:
                client.finetune("capitals", base=str(other / "tiny"), **ask)
            assert err.value.code == "path_not_allowed"
            with pytest.raises(SluiceError) as err:  # allowed, but no model there
                client.finetune("capitals", base=str(allowed / "tiny"), **ask)
            assert err.value.code == "invalid_base_model"
            with pytest.raises(SluiceError) as err:  # no way out of the root
                client.finetune("capitals", base=str(allowed / ".." / "elsewhere" / "tiny"),
                                **ask)
            assert err.value.code == "path_not_allowed"
    finally:
        platform.close()


def test_the_time_limit_stops_training_early_and_keeps_what_it_learned(
        door_client: Any, capitals: str) -> None:
    tuned = door_client.finetune(capitals, prompt_column="question", response_column="answer",
                                 steps=10_000, batch_size=2, max_length=48, eval_fraction=0.0,
                                 time_limit=1.0, register="capitals-quick")
    r = tuned.result
    assert r.stopped_early and 1 <= r.steps < 10_000 and r.before is None
    assert len(tuned.loss_curve["steps"]) == r.steps
    assert door_client.models.version("capitals-quick").tags["base_model"] == "smollm2"


def test_chat_conversations_are_learned_up_to_their_last_assistant_turn(
        platform: Any) -> None:
    import json

    from sluice.core.training.finetune_job import conversation
    from sluice.sdk.local import LocalClient

    chat = [{"role": "system", "content": "Answer with a city."},
            {"role": "user", "content": "Capital of Peru?"},
            {"role": "assistant", "content": "Lima"}]
    assert conversation(json.dumps(chat)) == (chat[:2], "Lima")
    assert conversation(chat[:2]) is None  # no reply to learn
    assert conversation("not json") is None
    assert conversation([{"role": "robot", "content": "x"}, chat[2]]) is None
    client = LocalClient(platform, platform.local_context(), owns_platform=False)
    rows = [{"chat": json.dumps([chat[0], {"role": "user", "content": f"Capital of {c}?"},
                                 {"role": "assistant", "content": city}])}
            for c, city in CAPITALS.items()]
    client.datasets.append("chats", [*rows, {"chat": "not json"}])
    tuned = client.finetune("chats", messages_column="chat", steps=2, batch_size=4,
                            max_length=64, eval_fraction=0.25, eval_answers=0)
    r = tuned.result
    assert tuned.state == "succeeded" and r.pairs + r.eval_pairs == len(CAPITALS)
    assert r.after.loss < r.before.loss
    with pytest.raises(InvalidInput) as err:
        client.finetune("chats", messages_column="conversation")
    assert err.value.code == "column_not_found"
