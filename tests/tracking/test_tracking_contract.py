"""The tracking and registry contract, the same through the local and the remote client
(and on PostgreSQL metadata)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sluice.errors import Forbidden, InvalidInput, NotFound


def _train() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    return LogisticRegression().fit(x, y), x


def test_run_logs_params_metrics_tags_and_ends(client: Any) -> None:
    with client.run(experiment="churn", name="first") as run:
        run.log_params({"lr": 0.1, "depth": 3})
        for step in range(50):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.log_metrics({"acc": 0.91, "f1": 0.88}, step=49)
        run.set_tag("team", "growth")
    stored = client.runs.get(run.id)
    assert stored.status == "FINISHED" and stored.end_ms is not None
    assert stored.name == "first"
    assert stored.params == {"lr": "0.1", "depth": "3"}
    assert stored.metrics["loss"].value == pytest.approx(1 / 50)
    assert stored.metrics["loss"].step == 49
    assert stored.tags["team"] == "growth"
    history = client.runs.history(run.id, "loss")
    assert [m.step for m in history] == list(range(50))
    assert client.experiments.get("churn").id == stored.experiment_id


def test_failed_block_marks_the_run_failed(client: Any) -> None:
    with pytest.raises(RuntimeError), client.run(experiment="e") as run:
        run.log_metric("loss", 1.0)
        raise RuntimeError("training blew up")
    stored = client.runs.get(run.id)
    assert stored.status == "FAILED"
    assert stored.metrics["loss"].value == 1.0  # logged before the failure, not lost


def test_params_cannot_change(client: Any) -> None:
    run = client.runs.create(client.experiments.create("p", exist_ok=True).id)
    client.runs.log_batch(run.id, params={"lr": "0.1"})
    client.runs.log_batch(run.id, params={"lr": "0.1"})  # the same value again is fine
    with pytest.raises(InvalidInput) as err:
        client.runs.log_batch(run.id, params={"lr": "0.2"})
    assert err.value.code == "param_changed"


def test_bad_keys_and_unknown_runs(client: Any) -> None:
    run = client.runs.create(client.experiments.create("k", exist_ok=True).id)
    with pytest.raises(InvalidInput) as err:
        client.runs.log_batch(run.id, params={"bad\nkey": "x"})
    assert err.value.code == "invalid_param_key"
    with pytest.raises(NotFound) as missing:
        client.runs.get("0" * 32)
    assert missing.value.code == "run_not_found"
    with pytest.raises(NotFound):
        client.experiments.get("no-such-experiment")


def test_search_filters_orders_and_pages(client: Any) -> None:
    exp = client.experiments.create("search", exist_ok=True).id
    for i in range(12):
        run = client.runs.create(exp, name=f"r{i}", tags={"kind": "odd" if i % 2 else "even"})
        client.runs.log_batch(run.id, params={"alpha": str(i)},
                              metrics=[{"key": "acc", "value": i / 10}])
    page = client.runs.search([exp], filter="metrics.acc >= 0.5 and tags.kind = 'odd'",
                              order_by=["metrics.acc DESC"])
    assert [r.name for r in page.runs] == ["r11", "r9", "r7", "r5"]
    page = client.runs.search([exp], filter="params.alpha LIKE '1%'", order_by=["params.alpha"])
    assert [r.params["alpha"] for r in page.runs] == ["1", "10", "11"]
    first = client.runs.search([exp], max_results=5, order_by=["attributes.run_name ASC"])
    second = client.runs.search([exp], max_results=5, order_by=["attributes.run_name ASC"],
                                page_token=first.next_page_token)
    assert len(first.runs) == 5 and len(second.runs) == 5
    assert not {r.id for r in first.runs} & {r.id for r in second.runs}
    with pytest.raises(InvalidInput) as err:
        client.runs.search([exp], filter="metrics.acc > 'high'")
    assert err.value.code == "invalid_filter"


def test_compare_shows_differing_params(client: Any) -> None:
    ids = []
    for lr in ("0.1", "0.2"):
        with client.run(experiment="cmp") as run:
            run.log_params({"lr": lr, "layers": 2})
            run.log_metric("acc", float(lr))
        ids.append(run.id)
    comparison = client.runs.compare(ids)
    assert comparison.differing_params == ["lr"]
    assert comparison.metrics["acc"] == {ids[0]: 0.1, ids[1]: 0.2}


def test_artifacts_round_trip(client: Any, tmp_path: Path) -> None:
    src = tmp_path / "notes.txt"
    src.write_text("hello artifacts")
    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.csv").write_text("x,y\n1,2\n")
    (folder / "sub" / "b.txt").write_text("b")
    with client.run(experiment="art") as run:
        run.log_artifact(src)
        run.log_artifacts(folder, artifact_path="plots")
    top = {(e.path, e.is_dir) for e in client.runs.artifacts(run.id)}
    assert top == {("notes.txt", False), ("plots", True)}
    assert {e.path for e in client.runs.artifacts(run.id, "plots")} == {"a.csv", "sub"}
    out = client.runs.download_artifact(run.id, "plots/sub/b.txt", tmp_path / "b.txt")
    assert out.read_text() == "b"
    with pytest.raises(NotFound):
        client.runs.download_artifact(run.id, "missing.txt", tmp_path / "m")


def test_dataset_inputs_are_recorded(client: Any) -> None:
    client.datasets.create("train-set")
    client.datasets.append("train-set", [{"x": 1}, {"x": 2}])
    with client.run(experiment="lineage") as run:
        run.log_input("train-set")
    stored = client.runs.get(run.id)
    assert stored.inputs[0].source.startswith("sluice:train-set@v")
    assert stored.inputs[0].context == "training"


def test_register_alias_card_and_safe_load(client: Any, tmp_path: Path) -> None:
    import skops.io as sio

    model, x = _train()
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    with client.run(experiment="reg") as run:
        run.log_params({"C": 1.0})
        run.log_metric("acc", 0.97)
        run.log_artifact(path, artifact_path="model")
    v1 = client.models.register("churn", f"runs:/{run.id}/model", description="churn model")
    v2 = client.models.register("churn", f"runs:/{run.id}/model")
    assert (v1.version, v2.version) == (1, 2)
    client.models.set_alias("churn", "production", 1)
    client.models.set_alias("churn", "production", 2)
    client.models.delete_alias("churn", "production")
    client.models.set_alias("churn", "staging", 1)
    history = client.models.alias_history("churn")
    assert [(h.alias, h.from_version, h.to_version) for h in reversed(history)] == [
        ("production", None, 1), ("production", 1, 2), ("production", 2, None),
        ("staging", None, 1)]
    assert client.models.get("churn").aliases == {"staging": 1}
    loaded = client.models.load("models:/churn@staging")
    assert loaded.format == "skops"
    assert (loaded.predict(x[:30]) == model.predict(x[:30])).all()
    card = client.models.card("churn", 1)
    assert card.metrics == {"acc": 0.97} and card.params == {"C": "1.0"}
    assert card.format == "skops" and card.safe_format
    assert "## Metrics" in card.markdown and "staging" in card.markdown
    tagged = client.models.update("churn", description="next churn", tags={"team": "growth"})
    assert tagged.tags == {"team": "growth"} and tagged.description == "next churn"
    one = client.models.update("churn", tags={"validated": "yes"}, version=1)
    assert one.version == 1 and one.tags == {"validated": "yes"}
    merged = client.models.update("churn", tags={"owner": "ann"})
    assert merged.tags == {"team": "growth", "owner": "ann"}


def test_pickles_need_an_explicit_opt_in(client: Any, tmp_path: Path) -> None:
    import pickle

    model, x = _train()
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    with client.run(experiment="pickles") as run:
        run.log_artifact(path, artifact_path="model")
    client.models.register("legacy", f"runs:/{run.id}/model")
    with pytest.raises(Forbidden) as err:
        client.models.load("models:/legacy/1")
    assert err.value.code == "unsafe_model_format"
    assert not client.models.card("legacy").safe_format
    loaded = client.models.load("models:/legacy/1", allow_pickle=True)
    assert (loaded.predict(x[:5]) == model.predict(x[:5])).all()


def test_prediction_over_the_api_refuses_pickles(http: Any, platform: Any,
                                                 tmp_path: Path) -> None:
    import pickle

    import skops.io as sio

    from sluice.sdk.local import LocalClient

    local = LocalClient(platform, platform.local_context(), owns_platform=False)
    model, x = _train()
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model))
    sio.dump(model, tmp_path / "model.skops")
    with local.run(experiment="serve") as run:
        run.log_artifact(tmp_path / "model.pkl", artifact_path="unsafe")
        run.log_artifact(tmp_path / "model.skops", artifact_path="safe")
    local.models.register("unsafe", f"runs:/{run.id}/unsafe")
    local.models.register("safe", f"runs:/{run.id}/safe")
    rows = x[:3].tolist()
    refused = http.post("/api/v1/models/unsafe/versions/1/predict", json={"inputs": rows})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "unsafe_model_format"
    served = http.post("/api/v1/models/safe/versions/latest/predict", json={"inputs": rows})
    assert served.status_code == 200, served.text
    assert served.json()["predictions"] == model.predict(x[:3]).tolist()


def test_compare_is_the_same_on_every_client(client: Any) -> None:
    ids = []
    for lr in (0.1, 0.3):
        with client.run(experiment="cmp") as run:
            run.log_params({"lr": lr, "epochs": 3})
            run.log_metric("acc", lr * 2)
        ids.append(run.id)
    result = client.runs.compare([*ids, ids[0]])  # a repeat is ignored
    assert [r.id for r in result.runs] == ids
    assert result.differing_params == ["lr"] and result.params["epochs"][ids[1]] == "3"
    assert result.metrics["acc"] == {ids[0]: pytest.approx(0.2), ids[1]: pytest.approx(0.6)}
    for bad in ([ids[0]], [ids[0], ids[0]], ["x"] * 0):
        with pytest.raises(InvalidInput) as refused:
            client.runs.compare(bad)
        assert refused.value.code == "invalid_compare"
    with pytest.raises(NotFound):
        client.runs.compare([ids[0], "0" * 32])


def _skops_version(client: Any, tmp_path: Path, name: str) -> tuple[Any, Any]:
    import skops.io as sio

    model, x = _train()
    sio.dump(model, tmp_path / f"{name}.skops")
    with client.run(experiment="predict") as run:
        run.log_artifact(tmp_path / f"{name}.skops", artifact_path="m")
    client.models.register(name, f"runs:/{run.id}/m")
    return model, x


def test_prediction_is_the_same_on_every_client(client: Any, tmp_path: Path) -> None:
    model, x = _skops_version(client, tmp_path, "scorer")
    client.models.set_alias("scorer", "production", 1)
    got = client.models.predict("scorer", x[:4].tolist(), ref="production")
    assert (got.name, got.version, got.format) == ("scorer", 1, "skops")
    assert got.predictions == model.predict(x[:4]).tolist()
    for rows in ([[1.0]], [], "not rows"):
        with pytest.raises(InvalidInput) as bad:
            client.models.predict("scorer", rows)
        assert bad.value.code in ("invalid_inputs", "invalid_request"), rows
    with pytest.raises(NotFound):
        client.models.predict("no-such-model", [[1.0]])


def test_a_version_is_loaded_once_then_kept(platform: Any, tmp_path: Path) -> None:
    from sluice.sdk.local import LocalClient

    local = LocalClient(platform, platform.local_context(), owns_platform=False)
    _, x = _skops_version(local, tmp_path, "kept")
    for _ in range(3):
        assert local.models.predict("kept", x[:2].tolist()).version == 1
    assert platform.predictions.loads == 1
    _skops_version(local, tmp_path, "kept")
    assert local.models.predict("kept", x[:2].tolist()).version == 2
    assert local.models.predict("kept", x[:2].tolist(), ref=1).version == 1
    assert platform.predictions.loads == 2


def test_the_predict_page_and_its_twin(http: Any, platform: Any, tmp_path: Path) -> None:
    from sluice.sdk.local import LocalClient

    local = LocalClient(platform, platform.local_context(), owns_platform=False)
    model, x = _skops_version(local, tmp_path, "paged")
    rows = json.dumps(x[:2].tolist())
    page = http.get("/models/paged/predict", params={"inputs": rows, "version": "1"})
    assert page.status_code == 200 and 'id="predictions"' in page.text
    twin = http.get("/models/paged/predict.json", params={"inputs": rows}).json()
    assert twin["prediction"]["predictions"] == model.predict(x[:2]).tolist()
    assert 'id="predictions"' not in http.get("/models/paged/predict").text
    bad = http.get("/models/paged/predict.json", params={"inputs": "[[1,"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_json"
    assert "try-predict" in http.get("/models/paged").text


def test_the_guide_example_runs(platform: Any, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python block of the guide's "Experiments and models" section, as written."""
    import contextlib
    import io

    from sluice.sdk.local import LocalClient

    guide = (Path(__file__).resolve().parents[2] / "docs" / "guide.md").read_text()
    section = guide.split("## Experiments and models", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    client = LocalClient(platform, platform.local_context(), owns_platform=False)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "guide.md", "exec"), {"client": client})
    assert "# churn v1" in printed.getvalue()


def test_nan_and_infinite_metrics_survive(client: Any) -> None:
    import math

    with client.run(experiment="odd-values") as run:
        for step, value in enumerate((math.nan, math.inf, -math.inf, 0.5)):
            run.log_metric("loss", value, step=step)
        run.log_metric("only-nan", math.nan)
    values = [m.value for m in client.runs.history(run.id, "loss")]
    assert math.isnan(values[0]) and values[1:] == [math.inf, -math.inf, 0.5]
    stored = client.runs.get(run.id)
    assert stored.metrics["loss"].value == 0.5 and math.isnan(stored.metrics["only-nan"].value)
    found = client.runs.search([stored.experiment_id], filter="metrics.`only-nan` > 0")
    assert found.runs == []  # NaN compares false, as in MLflow


def test_nested_runs(client: Any) -> None:
    with client.run(experiment="sweep", name="parent") as parent:
        for lr in (0.1, 0.2):
            with client.run(experiment="sweep", name=f"trial-{lr}", parent=parent.id) as child:
                child.log_metric("acc", lr)
    exp = client.experiments.get("sweep").id
    children = client.runs.search([exp], filter=f"tags.mlflow.parentRunId = '{parent.id}'",
                                  order_by=["metrics.acc DESC"])
    assert [r.name for r in children.runs] == ["trial-0.2", "trial-0.1"]
    assert {r.parent_id for r in children.runs} == {parent.id}
    with pytest.raises(NotFound):
        client.runs.create(exp, parent="0" * 32)


def test_experiments_delete_restore_and_model_tags(client: Any, tmp_path: Path) -> None:
    exp = client.experiments.create("trash-me")
    with client.run(experiment="trash-me") as run:
        run.log_metric("acc", 0.5)
    assert client.experiments.delete("trash-me").lifecycle_stage == "deleted"
    assert "trash-me" not in [e.name for e in client.experiments.list()]
    with pytest.raises(InvalidInput) as deleted:  # no runs nobody would see
        client.runs.create("trash-me")
    assert deleted.value.code == "experiment_deleted"
    assert client.experiments.restore(exp.id).lifecycle_stage == "active"
    assert client.runs.get(run.id).experiment_id == exp.id
    client.experiments.create("Default", exist_ok=True)  # every project keeps this one
    with pytest.raises(InvalidInput) as default:
        client.experiments.delete("Default")
    assert default.value.code == "default_experiment"
    with pytest.raises(NotFound):
        client.experiments.delete("no-such-experiment")
