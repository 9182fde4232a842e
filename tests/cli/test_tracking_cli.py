"""``sluice experiments``, ``sluice runs`` and ``sluice models`` as real processes against a
real server, including runs the mlflow client logged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import js, run

pytestmark = pytest.mark.xdist_group("mlflow")


def test_runs_and_models_from_the_cli(live_server: Any, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", live_server.token)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    mlflow.set_tracking_uri(live_server.url)
    mlflow.set_experiment("cli-exp")
    ids = []
    for lr in (0.1, 0.3):
        with mlflow.start_run(run_name=f"lr-{lr}") as r:
            mlflow.log_params({"lr": lr, "epochs": 3})
            for step in range(3):
                mlflow.log_metric("acc", lr + step / 10, step=step)
            notes = tmp_path / "notes.txt"
            notes.write_text(f"lr {lr}")
            mlflow.log_artifact(str(notes), artifact_path="model")
        ids.append(r.info.run_id)
    env = {"SLUICE_URL": live_server.url, "SLUICE_TOKEN": live_server.token}
    home = tmp_path / "unused-home"

    def cli(*args: str, check: bool = True) -> Any:
        return run(home, *args, env_extra=env, check=check)

    assert "cli-exp" in [e["name"] for e in js(cli("experiments", "list", "--json"))]
    listed = js(cli("runs", "list", "-e", "cli-exp", "-f", "metrics.acc > 0.4",
                    "-o", "metrics.acc DESC", "--json"))
    assert [r["id"] for r in listed["runs"]] == [ids[1]]
    shown = cli("runs", "show", ids[0]).stdout
    assert "lr-0.1" in shown and "epochs" in shown and "FINISHED" in shown
    compared = cli("runs", "compare", *ids).stdout
    assert "lr" in compared and "epochs" not in compared.split("Metrics")[0]
    history = js(cli("runs", "metrics", ids[0], "acc", "--json"))
    assert [m["step"] for m in history] == [0, 1, 2]
    assert js(cli("runs", "artifacts", ids[0], "model", "--json"))[0]["path"] == "notes.txt"
    got = js(cli("runs", "get", ids[0], "model/notes.txt", "--dest",
                 str(tmp_path / "back.txt"), "--json"))
    assert Path(got["path"]).read_text() == "lr 0.1"

    version = js(cli("models", "register", "cli-model", f"runs:/{ids[0]}/model", "--json"))
    assert version["version"] == 1
    cli("models", "alias", "cli-model", "production", "1")
    model = js(cli("models", "show", "cli-model", "--json"))
    assert model["model"]["aliases"] == {"production": 1}
    history_out = cli("models", "history", "cli-model").stdout
    assert "production" in history_out
    card = cli("models", "card", "cli-model").stdout
    assert "Metrics" in card and "acc" in card and "Intended use" in card
    tagged = cli("models", "tag", "cli-model", "team=search", "owner=ann").stdout
    assert "team=search, owner=ann" in tagged
    one = js(cli("models", "tag", "cli-model", "checked=yes", "--version", "1", "--json"))
    assert one["tags"] == {"checked": "yes"} and one["version"] == 1
    bad_tag = cli("models", "tag", "cli-model", "oops", "--json", check=False)
    assert bad_tag.returncode != 0 and "invalid_tag" in bad_tag.stdout
    _predict_from_the_cli(cli, ids[0], tmp_path, mlflow)
    assert "deleted" in cli("experiments", "delete", "cli-exp").stdout
    assert "cli-exp" not in [e["name"] for e in js(cli("experiments", "list", "--json"))]
    assert js(cli("experiments", "restore", "cli-exp", "--json"))["lifecycle_stage"] == \
        "active"
    missing = cli("runs", "show", "0" * 32, "--json", check=False)
    assert missing.returncode != 0 and "run_not_found" in missing.stdout


def _predict_from_the_cli(cli: Any, run_id: str, tmp_path: Path, mlflow: Any) -> None:
    import json

    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    x, y = [[0.0, 1.0], [1.0, 0.0], [0.9, 0.1], [0.1, 0.8]], [0, 1, 1, 0]
    model = LogisticRegression().fit(x, y)
    sio.dump(model, tmp_path / "model.skops")
    with mlflow.start_run(run_id=run_id):
        mlflow.log_artifact(str(tmp_path / "model.skops"), artifact_path="clf")
    cli("models", "register", "cli-clf", f"runs:/{run_id}/clf")
    got = js(cli("models", "predict", "cli-clf", json.dumps(x), "--json"))
    assert got["predictions"] == model.predict(x).tolist() and got["format"] == "skops"
    (tmp_path / "rows.json").write_text(json.dumps(x[:2]))
    shown = cli("models", "predict", "cli-clf", f"@{tmp_path / 'rows.json'}", "--version", "1")
    assert "cli-clf version 1 (skops)" in shown.stdout
    bad = cli("models", "predict", "cli-clf", "[[1,", "--json", check=False)
    assert bad.returncode != 0 and "invalid_json" in bad.stdout
