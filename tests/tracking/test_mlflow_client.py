"""The unmodified ``mlflow`` client against a real ``sluice up`` server: the workflow of
``../shared/compat/mlflow-client-rest-calls.md``, call for call, and runs crossing between
MLflow's client and Sluice's own SDK in both directions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

mlflow = pytest.importorskip("mlflow")

pytestmark = pytest.mark.xdist_group("mlflow")


@pytest.fixture
def tracking(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", live_server.url)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", live_server.token)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    mlflow.set_tracking_uri(live_server.url)
    yield MlflowClient(live_server.url)
    if mlflow.active_run():
        mlflow.end_run()


@pytest.fixture
def sdk(live_server: Any) -> Iterator[Any]:
    from sluice.sdk.remote import RemoteClient

    client = RemoteClient(live_server.url, live_server.token)
    yield client
    client.close()


def test_the_whole_mlflow_workflow_runs_unchanged(tracking: Any, tmp_path: Path) -> None:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    x, y = load_breast_cancer(return_X_y=True)
    mlflow.set_experiment("rest-demo")
    with mlflow.start_run() as run:
        run_id = run.info.run_id
        mlflow.log_param("alpha", 0.1)
        mlflow.log_params({"a": 1, "b": 2, "c": 3})
        mlflow.log_metric("loss", 0.5, step=0)
        mlflow.log_metric("loss", 0.4, step=1)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8})
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({"t1": "x", "t2": "y"})
        from mlflow.entities import Metric, Param, RunTag

        tracking.log_batch(run_id, metrics=[Metric("m", float(i), 0, i) for i in range(3)],
                           params=[Param("p", "1")], tags=[RunTag("k", "v")])
        notes = tmp_path / "notes.txt"
        notes.write_text("x" * 600)
        mlflow.log_artifact(str(notes))
        mlflow.log_artifact(str(notes), artifact_path="docs")
        assert {f.path for f in tracking.list_artifacts(run_id)} == {"docs", "notes.txt"}
        assert [f.path for f in tracking.list_artifacts(run_id, "docs")] == ["docs/notes.txt"]
        got = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="notes.txt")
        assert Path(got).read_text() == "x" * 600
        folder = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="docs")
        assert os.listdir(folder) == ["notes.txt"]
        model = LogisticRegression(max_iter=5000).fit(x, y)
        info = mlflow.sklearn.log_model(model, name="model", input_example=x[:5])
    other = tracking.create_run(run.info.experiment_id)
    tracking.set_terminated(other.info.run_id)

    found = tracking.search_runs([run.info.experiment_id], "metrics.acc > 0.5",
                                 order_by=["metrics.acc DESC"], max_results=100)
    assert [r.info.run_id for r in found] == [run_id]
    frame = mlflow.search_runs(experiment_names=["rest-demo"], filter_string="metrics.acc > 0.5")
    assert frame.shape[0] == 1 and frame["params.alpha"][0] == "0.1"
    stored = tracking.get_run(run_id)
    assert stored.data.metrics["loss"] == 0.4 and stored.data.params["p"] == "1"
    assert stored.info.status == "FINISHED"
    assert [m.value for m in tracking.get_metric_history(run_id, "loss")] == [0.5, 0.4]

    version = mlflow.register_model(info.model_uri, "bc-model")
    tracking.set_registered_model_alias("bc-model", "champion", version.version)
    expected = model.predict(x)
    for uri in ("models:/bc-model@champion", f"runs:/{run_id}/model", info.model_uri):
        loaded = mlflow.pyfunc.load_model(uri)
        assert (loaded.predict(x) == expected).all(), uri


def test_mlflow_runs_show_up_in_the_sluice_sdk(tracking: Any, sdk: Any,
                                               live_server: Any) -> None:
    import math

    import httpx
    import pandas as pd

    mlflow.set_experiment("from-mlflow")
    with mlflow.start_run(run_name="mlflow-side") as run:
        mlflow.log_params({"lr": 0.01})
        for step in range(20):
            mlflow.log_metric("loss", 1 / (step + 1), step=step)
        mlflow.log_metric("diverged", float("nan"))
        frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0.0, 1.0, 0.0]})
        mlflow.log_input(mlflow.data.from_pandas(frame, name="toy"), context="training")
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_metric("acc", 0.5)
    mine = sdk.runs.get(run.info.run_id)
    assert mine.name == "mlflow-side" and mine.params == {"lr": "0.01"}
    assert math.isnan(mine.metrics["diverged"].value)
    assert math.isnan(tracking.get_run(run.info.run_id).data.metrics["diverged"])
    assert [(i.name, i.context) for i in mine.inputs] == [("toy", "training")]
    assert sdk.runs.get(child.info.run_id).parent_id == run.info.run_id
    page = httpx.get(f"{live_server.url}/runs/{run.info.run_id}.json",
                     headers={"Authorization": f"Bearer {live_server.token}"}).json()
    assert page["run"]["name"] == "mlflow-side" and "loss" in page["charts"]
    assert len(sdk.runs.history(run.info.run_id, "loss")) == 20
    page = sdk.runs.search([sdk.experiments.get("from-mlflow").id],
                           filter="params.lr = '0.01'")
    assert [r.id for r in page.runs] == [run.info.run_id]


def test_sluice_runs_show_up_in_the_mlflow_client(tracking: Any, sdk: Any) -> None:
    with sdk.run(experiment="from-sluice", name="sdk-side") as run:
        run.log_params({"depth": 4})
        for step in range(30):
            run.log_metric("acc", step / 30, step=step)
    found = tracking.get_run(run.id)
    assert found.info.run_name == "sdk-side" and found.data.params == {"depth": "4"}
    assert len(tracking.get_metric_history(run.id, "acc")) == 30
    exp = tracking.get_experiment_by_name("from-sluice")
    assert [r.info.run_id for r in tracking.search_runs([exp.experiment_id])] == [run.id]


def test_mlflow_errors_use_mlflow_codes(tracking: Any) -> None:
    from mlflow.exceptions import MlflowException

    assert tracking.get_experiment_by_name("never-made") is None  # 404 is understood
    with pytest.raises(MlflowException) as err:
        tracking.get_run("f" * 32)
    assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    exp = tracking.create_experiment("dup-exp")
    with pytest.raises(MlflowException) as dup:
        tracking.create_experiment("dup-exp")
    assert dup.value.error_code == "RESOURCE_ALREADY_EXISTS"
    run = tracking.create_run(exp)
    with pytest.raises(MlflowException) as bad:
        tracking.search_runs([exp], "metrics.acc >")
    assert bad.value.error_code == "INVALID_PARAMETER_VALUE"
    tracking.log_param(run.info.run_id, "p", "1")
    with pytest.raises(MlflowException):
        tracking.log_param(run.info.run_id, "p", "2")
    np.testing.assert_equal(tracking.get_run(run.info.run_id).data.params, {"p": "1"})
