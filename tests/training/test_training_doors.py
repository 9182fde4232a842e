"""Training through the SDK, locally and over REST: a search whose trials are runs, a
registered model with its card and lineage, predictions from it, refusals with codes,
cancelling, and the REST routes and page twins themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sluice.errors import Cancelled, InvalidInput, SluiceError


def cancer_frame() -> pd.DataFrame:
    """scikit-learn's breast cancer table (569 real rows), the class as words."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.drop(columns=["target"])
    frame["diagnosis"] = [data.target_names[i] for i in data.target]
    return frame


@pytest.fixture
def cancer(door_client: Any, tmp_path: Path) -> pd.DataFrame:
    frame = cancer_frame()
    path = tmp_path / "cancer.csv"
    frame.to_csv(path, index=False)
    door_client.ingest(str(path), "cancer")
    return frame


def test_train_registers_the_best_with_its_runs_card_and_predictions(
        door_client: Any, cancer: pd.DataFrame) -> None:
    seen: list[Any] = []
    training = door_client.train("cancer", "diagnosis", budget=4, max_trials=6,
                                 register="cancer-model", on_progress=seen.append)
    r = training.result
    assert training.state == "succeeded" and r.task.value == "binary"
    assert r.metric == "roc_auc" and r.best.score > 0.97 and r.default_score > 0.95
    assert r.registered == {"name": "cancer-model", "version": 1}
    assert r.trials == len(training.leaderboard) <= 7  # 6 and the baseline
    assert training.leaderboard[0].score == pytest.approx(r.best.score)
    assert training.best_curve["values"] and training.best_curve["metric"].startswith("valid_")
    assert any(s.state == "running" for s in seen)
    assert "ROC AUC" in r.report and "569 rows" in r.report

    children = door_client.runs.search([training.experiment_id],
                                       filter=f"tags.mlflow.parentRunId = '{training.run_id}'")
    assert len(children.runs) == r.trials
    parent = door_client.runs.get(training.run_id)
    assert parent.status.value == "FINISHED" and parent.inputs[0].source == "sluice:cancer@v1"

    assert r.onnx["exported"] and r.onnx["max_difference"] < 1e-4
    card = door_client.models.card("cancer-model")
    assert card.format == "sluice" and card.safe_format and "model.onnx" in card.files
    assert card.metrics["best_score"] == pytest.approx(r.best.score)
    assert "predicts 'diagnosis'" in card.intended_use

    rows = cancer.drop(columns=["diagnosis"]).head(40)
    got = door_client.models.predict("cancer-model", rows.to_dict("records")).predictions
    assert set(got) <= {"malignant", "benign"}
    assert sum(a == b for a, b in zip(got, cancer["diagnosis"].head(40), strict=True)) >= 36
    as_lists = door_client.models.predict("cancer-model", rows.head(3).values.tolist())
    assert as_lists.predictions == got[:3]

    again = door_client.training.register(training.id, "cancer-model")
    assert again.version == 2
    assert [t.id for t in door_client.training.list()] == [training.id]


@pytest.mark.parametrize(("options", "code"), [
    ({"target": "nope"}, "target_not_found"),
    ({"budget": 0}, "invalid_budget"),
    ({"budget": -5}, "invalid_budget"),
    ({"columns": ["mean radius", "missing"]}, "column_not_found"),
    ({"time_column": "when"}, "column_not_found"),
])
def test_bad_requests_are_refused_before_a_job_starts(door_client: Any, cancer: pd.DataFrame,
                                                      options: dict[str, Any],
                                                      code: str) -> None:
    args = {"target": "diagnosis", "budget": 3, **options}
    with pytest.raises(InvalidInput) as err:
        door_client.train("cancer", args.pop("target"), **args)
    assert err.value.code == code
    assert door_client.training.list() == []


def test_a_target_it_cannot_learn_fails_the_job_and_registers_nothing(
        door_client: Any, tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": range(40), "same": ["a"] * 40, "few": ["p"] * 39 + ["q"]})
    frame.to_csv(tmp_path / "flat.csv", index=False)
    door_client.ingest(str(tmp_path / "flat.csv"), "flat")
    for target, code in (("same", "target_constant"), ("few", "class_too_small")):
        with pytest.raises(SluiceError) as err:
            door_client.train("flat", target, budget=2, register="never")
        assert err.value.code == code
    assert door_client.models.list() == []
    failed = door_client.training.list()
    assert {t.state for t in failed} == {"failed"}
    assert door_client.runs.get(failed[0].run_id).status.value == "FAILED"


def test_cancel_stops_the_search_and_registers_nothing(door_client: Any,
                                                        cancer: pd.DataFrame) -> None:
    cancel_after_two_trials(door_client, within=60)


def cancel_after_two_trials(client: Any, *, within: float) -> None:
    """Start a long search, cancel it once two trials are on its leaderboard: it ends
    cancelled, its run KILLED, nothing registered."""
    import time

    started = client.train("cancer", "diagnosis", budget=600, register="never", wait=False)
    deadline = time.monotonic() + within
    while len(client.training.get(started.id).leaderboard) < 2:
        assert time.monotonic() < deadline, f"no trial finished in {within:g} s"
        time.sleep(0.2)
    client.training.cancel(started.id)
    with pytest.raises(Cancelled):
        client.training.wait(started.id, timeout=60)
    final = client.training.get(started.id)
    assert final.state == "cancelled" and final.result is None
    assert client.runs.get(final.run_id).status.value == "KILLED"
    assert client.models.list() == []
