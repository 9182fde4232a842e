"""The tracking and registry pages and their JSON twins, rendered in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sluice.sdk.local import LocalClient


@pytest.fixture
def logged(platform: Any, tmp_path: Path) -> dict[str, Any]:
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    client = LocalClient(platform, platform.local_context(), owns_platform=False)
    ids = []
    for lr in (0.1, 0.5):
        with client.run(experiment="pages", name=f"lr={lr}") as run:
            run.log_params({"lr": lr, "layers": 2})
            for step in range(10):
                run.log_metrics({"loss": 1 / (step + 1 + lr), "acc": lr + step / 100}, step=step)
            model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
            sio.dump(model, tmp_path / "model.skops")
            run.log_artifact(tmp_path / "model.skops", artifact_path="model")
        ids.append(run.id)
    client.models.register("pages-model", f"runs:/{ids[0]}/model", description="for pages")
    client.models.set_alias("pages-model", "staging", 1)
    return {"ids": ids, "experiment": client.experiments.get("pages")}


def test_experiments_and_runs_table(http: Any, logged: dict[str, Any]) -> None:
    exp = logged["experiment"]
    listed = http.get("/experiments.json").json()
    assert listed["experiments"][0]["name"] == "pages" and listed["experiments"][0]["runs"] == 2
    html = http.get(f"/experiments/{exp.id}").text
    assert "lr=0.1" in html and 'class="metric"' in html and 'class="param"' in html
    table = http.get(f"/experiments/{exp.id}.json",
                     params={"filter": "params.lr = '0.5'", "order": "metrics.acc DESC"}).json()
    assert [r["name"] for r in table["runs"]] == ["lr=0.5"]
    assert table["metric_keys"] == ["acc", "loss"] and table["param_keys"] == ["layers", "lr"]
    bad = http.get(f"/experiments/{exp.id}", params={"filter": "metrics.acc >"})
    assert bad.status_code == 200 and 'id="filter-error"' in bad.text
    assert 'id="delete-experiment"' in html
    gone = http.post(f"/experiments/{exp.id}/delete", follow_redirects=False)
    assert gone.status_code == 303
    after = http.get("/experiments.json").json()
    assert after["experiments"] == [] and after["trash"][0]["name"] == "pages"
    assert 'id="trash"' in http.get("/experiments").text
    assert 'id="restore-experiment"' in http.get(f"/experiments/{exp.id}").text
    back = http.post(f"/experiments/{exp.id}/restore", follow_redirects=False)
    assert back.headers["location"] == f"/experiments/{exp.id}"
    assert http.get("/experiments.json").json()["experiments"][0]["name"] == "pages"


def test_run_page_has_charts_and_artifacts(http: Any, logged: dict[str, Any]) -> None:
    run_id = logged["ids"][0]
    html = http.get(f"/runs/{run_id}").text
    assert html.count("<polyline") == 2 and "model/model.skops" in html
    assert 'id="registered"' in html and "pages-model v1" in html
    twin = http.get(f"/runs/{run_id}.json").json()
    assert len(twin["charts"]["loss"]["lines"][0]["points"].split()) == 10
    file = http.get(f"/runs/{run_id}/files/model/model.skops")
    assert file.status_code == 200 and len(file.content) > 100
    assert http.get(f"/runs/{run_id}/files/../../etc/passwd").status_code in (400, 404)


def test_compare_page_overlays_curves_and_diffs_params(http: Any,
                                                       logged: dict[str, Any]) -> None:
    a, b = logged["ids"]
    page = http.get("/compare.json", params=[("ids", a), ("ids", b)]).json()
    assert page["comparison"]["differing_params"] == ["lr"]
    assert len(page["charts"]["loss"]["lines"]) == 2
    html = http.get("/compare", params=[("ids", a), ("ids", b)]).text
    assert 'class="differs"' in html and html.count("<polyline") == 4
    one = http.get("/compare", params=[("ids", a)])
    assert one.status_code == 400


def test_model_pages_promote_and_card(http: Any, logged: dict[str, Any]) -> None:
    assert http.get("/models.json").json()["models"][0]["aliases"] == {"staging": 1}
    response = http.post("/models/pages-model/promote", data={"alias": "production",
                                                              "version": "1"},
                         follow_redirects=False)
    assert response.status_code == 303
    page = http.get("/models/pages-model.json").json()
    assert page["model"]["aliases"] == {"production": 1, "staging": 1}
    assert page["history"][0]["alias"] == "production"
    card = http.get("/models/pages-model/card", params={"version": "1"}).text
    assert "<h2>Metrics</h2>" in card and "safe to load" in card and "for pages" in card
    http.post("/api/v1/models/pages-model/versions", json={
        "source": f"runs:/{logged['ids'][1]}/model", "description": "<script>alert(1)</script>"})
    hostile = http.get("/models/pages-model/card", params={"version": "2"}).text
    assert "<script>alert(1)" not in hostile and "&lt;script&gt;alert(1)" in hostile
    http.post("/models/pages-model/tags", data={"key": "team", "value": "search"})
    http.post("/models/pages-model/tags", data={"key": "checked", "value": "yes",
                                                "version": "1"})
    tagged = http.get("/models/pages-model.json").json()
    assert tagged["model"]["tags"] == {"team": "search"}
    assert {v["version"]: v["tags"] for v in tagged["versions"]}[1] == {"checked": "yes"}
    assert 'data-tag="team"' in http.get("/models/pages-model").text
    blank = http.post("/models/pages-model/tags", data={"key": " ", "value": "x"})
    assert blank.status_code == 400 and "a tag needs a name" in blank.text
    odd = http.post("/models/pages-model/tags", data={"key": "k", "version": "two"})
    assert odd.status_code == 400


def test_viewers_read_runs_but_cannot_log_or_promote(platform: Any, app: Any,
                                                     logged: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    from sluice.core.context import Role

    ctx = platform.local_context()
    platform.auth.create_user(ctx, "vic", Role.VIEWER)
    token = platform.auth.create_token(ctx, "vic-token", user="vic").token
    run_id = logged["ids"][0]
    with TestClient(app) as tc:
        tc.headers["Authorization"] = f"Bearer {token}"
        assert tc.get(f"/api/v1/runs/{run_id}").status_code == 200
        assert tc.get(f"/api/2.0/mlflow/runs/get?run_id={run_id}").status_code == 200
        denied = tc.post("/api/2.0/mlflow/runs/log-metric",
                         json={"run_id": run_id, "key": "x", "value": 1, "timestamp": 1})
        assert denied.status_code == 403
        assert denied.json()["error_code"] == "PERMISSION_DENIED"
        alias = tc.put("/api/v1/models/pages-model/aliases/production", json={"version": 1})
        assert alias.status_code == 403 and alias.json()["error"]["code"] == "forbidden"
        upload = tc.put(f"/api/v1/runs/{run_id}/artifacts/x.txt", content=b"x")
        assert upload.status_code == 403
    assert platform.registry.get(ctx, "pages-model").aliases == {"staging": 1}
