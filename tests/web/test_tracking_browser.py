"""Experiments, runs, compare and the registry in headless Chromium against `sluice up`."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.web.helpers import log_two_runs
from tests.web.test_browser import browser, page  # noqa: F401 - shared fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def logged(live_server, tmp_path: Path):
    from sluice.sdk.remote import RemoteClient

    client = RemoteClient(live_server.url, live_server.token)
    ids = log_two_runs(client, "browser-exp", tmp_path, steps=20)
    client.models.register("browser-model", f"runs:/{ids[0]}/model")
    client.models.register("browser-model", f"runs:/{ids[1]}/model")
    exp = client.experiments.get("browser-exp")
    client.close()
    return {"ids": ids, "experiment": exp.id}


def test_runs_table_sort_filter_and_compare(page, logged):  # noqa: F811
    page.goto("/experiments")
    page.click("#experiments >> text=browser-exp")
    page.wait_for_selector("#runs")
    page.click("#runs th.metric >> text=acc")  # sort by acc, descending
    page.wait_for_url("**order=metrics*")
    names = page.locator("#runs tbody tr td:nth-child(2)").all_inner_texts()
    assert names == ["lr-0.1", "lr-0.9"]
    page.fill("#run-filter input[name=filter]", "params.lr = '0.9'")
    page.click("#run-filter button[type=submit]")
    expect(page.locator("#runs tbody tr")).to_have_count(1)
    assert "lr-0.9" in page.inner_text("#runs")
    page.fill("#run-filter input[name=filter]", "")
    page.click("#run-filter button[type=submit]")
    expect(page.locator("#runs tbody tr")).to_have_count(2)
    for box in page.locator("#runs input[type=checkbox]").all():
        box.check()
    page.click("#compare")
    page.wait_for_url("**/compare?**")
    assert page.locator("#compare-charts polyline").count() == 4
    assert "lr" in page.inner_text("#compare-params tr.differs")
    page.goto(f"/runs/{logged['ids'][0]}")
    assert page.locator("#metric-charts polyline").count() == 2
    point = page.locator("#metric-charts circle.hover-point").first
    assert ": " in point.locator("title").text_content()  # "series: value at step n"
    point.hover()  # a real pointer lands on it
    assert "model/model.skops" in page.inner_text("#artifacts")


def test_mlflow_links_open_the_run_page(page, logged):  # noqa: F811
    page.goto(f"/#/experiments/{logged['experiment']}/runs/{logged['ids'][1]}")
    page.wait_for_url(f"**/runs/{logged['ids'][1]}")
    assert "lr-0.9" in page.inner_text("h1")


def test_promote_a_version_and_read_its_card(page, logged):  # noqa: F811
    page.goto("/models")
    page.click("#models >> text=browser-model")
    page.wait_for_selector("#versions")
    row = page.locator("#versions tr[data-version='2']")
    row.locator("select[name=alias]").select_option("production")
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    row.locator("button[data-promote]").click()  # dismissed: nothing changes
    page.wait_for_timeout(300)
    assert asked and "v2" in asked[0] and page.locator("[data-alias=production]").count() == 0
    page.once("dialog", lambda d: d.accept())
    row.locator("button[data-promote]").click()
    page.wait_for_selector("[data-alias=production]")
    assert "v2" in page.inner_text("[data-alias=production]")
    assert "production" in page.inner_text("#alias-history")
    page.click("#try-predict")
    page.wait_for_selector("#predict-form")
    page.select_option("#predict-form select[name=version]", "production")
    page.fill("#predict-form textarea[name=inputs]", "[[0.0], [1.0]]")
    page.click("#predict-form button[type=submit]")
    page.wait_for_selector("#predictions")
    assert page.locator("#predictions tbody tr").count() == 2
    assert "v2 (skops)" in page.inner_text("h2")
    page.go_back()
    page.go_back()
    page.click("#versions >> text=v1")
    page.wait_for_selector("#model-card")
    card = page.inner_text("#model-card")
    assert "Metrics" in card and "acc" in card and "Training run" in card


def test_a_hostile_run_input_runs_no_script_on_the_model_card(page, live_server,  # noqa: F811
                                                              tmp_path: Path):
    """The stored-XSS reproduction from the hardening review, in a real browser."""
    from sluice.core.tracking.models import RunInput
    from sluice.sdk.remote import RemoteClient

    client = RemoteClient(live_server.url, live_server.token)
    weights = tmp_path / "weights.txt"
    weights.write_text("w")
    with client.run(experiment="xss-exp") as run:
        client.runs.log_inputs(run.id, [RunInput(name="d", source="javascript:alert(1)")])
        run.log_artifact(weights, artifact_path="model")
    client.models.register("xss-model", f"runs:/{run.id}/model")
    client.close()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto("/models/xss-model/card")
    page.wait_for_selector("#model-card")
    assert page.locator("a[href^='javascript']").count() == 0
    page.get_by_text("external d").click()
    assert dialogs == [] and page.url.endswith("/models/xss-model/card")


def test_the_lineage_page_draws_the_graph_and_its_nodes_open_their_pages(page, logged):  # noqa: F811
    page.goto("/lineage")
    page.fill("#lineage-form input[name=ref]", "model:browser-model/2")
    page.click("#lineage-form button[type=submit]")
    page.wait_for_selector("#lineage-graph g.node.run")
    assert page.locator("#lineage-graph g.node").count() == 2
    assert page.locator("#lineage-graph path.edge.produced").count() == 1
    box = page.locator("#lineage-graph g.node.root rect").bounding_box()
    run_box = page.locator("#lineage-graph g.node.run rect").bounding_box()
    assert run_box["x"] < box["x"]  # origins to the left
    page.locator("#lineage-graph g.node.run rect").click()
    page.wait_for_url("**/runs/*")  # the run of v2 (the fixture registers two per test)
    assert "lr-0.9" in page.inner_text("h1")
