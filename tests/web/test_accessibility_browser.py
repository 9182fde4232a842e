"""Accessibility in headless Chromium against `sluice up`: axe-core (vendored in
tests/web/vendor) finds no serious or critical violation on any page of a seeded workspace,
wide and at phone width.

The same workspace gives the screenshots in docs/screens.md: with ``SCREENSHOTS=1`` the main
pages are written to docs/img/screens/ at 1440x900, so the pictures stay current. (Not a
``SLUICE_`` name: tests/conftest.py clears those so a developer's settings stay out.)"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.web.helpers import log_two_runs, logged_in
from tests.web.test_browser import browser  # noqa: F401 - shared fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "img" / "screens"
BLOCKING = ("serious", "critical")
# GET routes that are not pages: a redirect, files, the spec, a job-state fragment; the
# login page is checked before logging in.
NOT_PAGES = {"/", "/favicon.ico", "/openapi.json", "/sql/export", "/jobs/{job_id}/status",
             "/runs/{run_id}/files/{path}", "/login", "/train/{job_id}/live",
             "/finetune/{job_id}/live"}
# axe rule id -> the elements excused from it, everywhere. Each is a known problem in a
# file this change could not touch, to be fixed there (then the entry goes).
EXCUSED: dict[str, str] = {}  # rule id -> CSS selector of elements excused, with a reason
SALES = [("ana", "north", 120.5), ("bo", "south", 89.0), ("cy", "north", 42.25),
         ("di", "east", 310.0), ("ed", "west", 15.75), ("flo", "south", 77.0),
         ("gus", "east", 205.4), ("hal", "north", 64.9)]
HANDBOOK = [
    ("scones.md", "# Scones\n\nBake scones at 220 degrees for 12 minutes until golden. "
                  "Rub the butter into the flour with cold fingers."),
    ("bread.md", "# Bread\n\nBake bread at 230 degrees for 35 minutes. The loaf is done "
                 "when it sounds hollow underneath."),
    ("croissants.md", "# Croissants\n\nLaminate the dough with three single folds and "
                      "rest it in the fridge for 30 minutes between folds."),
]


def seed_tables(client: Any) -> str:
    """A keyed table in two versions (a diff to show) with a quality report; its job id."""
    client.datasets.append("sales", [
        {"order_id": i + 1, "customer": c, "region": r, "amount": a}
        for i, (c, r, a) in enumerate(SALES)], key_column="order_id")
    client.datasets.append("sales", [
        {"order_id": 2, "customer": "bo", "region": "south", "amount": 99.0},
        {"order_id": 9, "customer": "ivy", "region": "west", "amount": 18.0}],
        key_column="order_id")
    return str(client.quality.run("sales").id)


def seed_text(client: Any) -> str:
    """Documents, a view over them, an answered question, a label schema with answers;
    the trace id of the answer."""
    client.datasets.append("handbook", [{"title": t, "text": x} for t, x in HANDBOOK],
                           key_column="title")
    client.views.create("handbook_chunks", "handbook", chunk_size=64, chunk_overlap=8)
    client.ask("handbook_chunks", "How long do scones bake?", style="extract")
    client.labels.create_schema("handbook", "topic", ["bread", "pastry"])
    client.labels.annotate("handbook", "topic", "bread.md", label="bread")
    return str(client.traces(limit=1)[0].id)


def seed_runs(client: Any, tmp: Path) -> list[str]:
    """Two runs of an experiment that read `sales@2`, the first registered as a model."""
    from sluice.core.tracking.models import RunInput

    ids = log_two_runs(client, "churn", tmp, steps=10,
                       inputs=[RunInput(name="sales", source="sluice:sales@2")])
    client.models.register("churn-classifier", f"runs:/{ids[0]}/model")
    return ids


def seed_training(client: Any) -> tuple[str, str]:
    """A finished AutoML search and a one-step fine-tuning; their job ids."""
    from tests.training.test_training_doors import cancer_frame

    client.datasets.append("tumours", cancer_frame().to_dict("records"))
    trained = client.train("tumours", "diagnosis", budget=2, max_trials=3)
    client.datasets.append("sums", [{"prompt": f"What is {a} plus {a}?", "response": str(2 * a)}
                                    for a in range(4)])
    tuned = client.finetune("sums", steps=1, max_length=48)
    return trained.id, tuned.id


@pytest.fixture(scope="module")
def seeded(live_server, tmp_path_factory) -> dict[str, Any]:
    """Something on every page: tables, documents, a view, labels, runs, a model, jobs."""
    from sluice.sdk.remote import RemoteClient

    with RemoteClient(live_server.url, live_server.token) as client:
        job = seed_tables(client)
        trace = seed_text(client)
        runs = seed_runs(client, tmp_path_factory.mktemp("a11y"))
        experiment = client.experiments.get("churn").id
        training, finetune = seed_training(client)
    return {"job": job, "trace": trace, "runs": runs, "experiment": experiment,
            "training": training, "finetune": finetune}


def examples(s: dict[str, Any]) -> dict[str, list[str]]:
    """For each page route with parameters (or that shows more when asked), what to open."""
    label = "/label/handbook/topic"
    return {
        "/datasets/{name}": ["/datasets/sales", "/datasets/handbook"],
        "/datasets/{name}/diff": ["/datasets/sales/diff"],
        "/datasets/{name}/document": ["/datasets/handbook/document?key=scones.md"
                                      "&start=11&end=40"],
        "/jobs/{job_id}": [f"/jobs/{s['job']}"],
        "/label/{dataset}/{schema}": [label],
        "/label/{dataset}/{schema}/agreement": [label + "/agreement"],
        "/label/{dataset}/{schema}/issues": [label + "/issues"],
        "/label/{dataset}/{schema}/curve": [label + "/curve"],
        "/label/{dataset}/{schema}/functions": [label + "/functions"],
        "/models/{name}": ["/models/churn-classifier"],
        "/models/{name}/card": ["/models/churn-classifier/card"],
        "/models/{name}/predict": ["/models/churn-classifier/predict"],
        "/traces/{trace_id}": [f"/traces/{s['trace']}"],
        "/experiments/{ref}": [f"/experiments/{s['experiment']}"],
        "/runs/{run_id}": [f"/runs/{s['runs'][0]}"],
        "/compare": ["/compare?" + "&".join(f"ids={r}" for r in s["runs"])],
        "/search": ["/search?view=handbook_chunks&q=scones+bake&mode=text"],
        "/sql": ["/sql?q=SELECT+region%2C+sum(amount)+FROM+sales+GROUP+BY+1"],
        "/lineage": ["/lineage?ref=model:churn-classifier/1"],
        "/train": ["/train?dataset=tumours&target=diagnosis"],
        "/train/{job_id}": [f"/train/{s['training']}"],
        "/finetune/{job_id}": [f"/finetune/{s['finetune']}"],
    }


def all_pages(s: dict[str, Any]) -> list[str]:
    """Every HTML page route of the app (bare, and as examples() fills or asks it)."""
    from fastapi.responses import HTMLResponse

    from sluice.web.app import web_routers

    found = examples(s)
    pages, missing = [], []
    for router in web_routers():
        for route in router.routes:
            path = getattr(route, "path", "")
            if "GET" not in getattr(route, "methods", ()) or path in NOT_PAGES \
                    or getattr(route, "response_class", None) is not HTMLResponse:
                continue
            if "{" not in path:
                pages.append(path)
            pages += found.get(path, [])
            if "{" in path and path not in found:
                missing.append(path)
    assert not missing, f"add an example of {missing} to examples()"
    return sorted(set(pages))


AXE_RUN = """excused => axe.run(document, {resultTypes: ['violations']}).then(r =>
  r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.filter(n => {
      const node = excused[v.id] && document.querySelector(n.target.join(' '));
      return !(node && node.matches(excused[v.id]));
    }).map(n => n.target.join(' '))})))"""


def violations(page: Any, where: str) -> list[str]:
    """The serious and critical axe-core findings on the page as it is now, one line each:
    the page, the rule, what it asks for and the first few elements."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(AXE_RUN, EXCUSED)
    return [f"{where}: {v['id']} ({v['impact']}) {v['help']}: {', '.join(v['targets'][:4])}"
            + (f" and {len(v['targets']) - 4} more" if len(v["targets"]) > 4 else "")
            for v in found if v["impact"] in BLOCKING and v["targets"]]


def visit(page: Any, path: str) -> None:
    response = page.goto(path)  # after the load event: app.js and table.js have run
    assert response is not None and response.status < 500, f"{path}: {response}"


def ask(page: Any) -> None:
    """On the Ask page: a question, answered from the sources only (no model)."""
    page.fill("#ask-q", "How long do scones bake?")
    page.select_option("#ask-style", "extract")
    page.click("#ask-form button[type=submit]")
    page.wait_for_selector("#ask-output[data-state=done]", timeout=60_000)


def test_no_page_has_a_serious_accessibility_violation(browser, live_server,  # noqa: F811
                                                       seeded):
    # The axe script is added inline, which the pages' CSP rightly forbids.
    anonymous = browser.new_context(base_url=live_server.url, bypass_csp=True).new_page()
    anonymous.goto("/login")
    problems = violations(anonymous, "/login")
    anonymous.context.close()
    page = logged_in(browser, live_server, bypass_csp=True)
    paths = all_pages(seeded)
    nav = page.eval_on_selector_all("#main-nav a", "links => links.map(a => a.pathname)")
    assert set(nav) <= set(paths), "a nav link goes to a page the app does not route"
    for path in paths:
        visit(page, path)
        problems += violations(page, path)
    visit(page, "/ask?view=handbook_chunks")
    ask(page)
    problems += violations(page, "/ask (answered)")
    page.context.close()
    assert not problems, "axe-core found serious or critical problems:\n" + "\n".join(problems)


def test_the_nav_pages_at_phone_width_have_no_serious_accessibility_violation(
        browser, live_server, seeded):  # noqa: F811
    page = logged_in(browser, live_server, bypass_csp=True,
                     viewport={"width": 390, "height": 844})
    page.click("button.menu")  # the folded nav, open
    problems = violations(page, "/datasets (menu open)")
    nav = page.eval_on_selector_all("#main-nav a", "links => links.map(a => a.pathname)")
    for path in [*nav, "/hardware", "/areas", "/tokens", "/docs", "/upload"]:
        visit(page, path)
        problems += violations(page, path)
    page.context.close()
    assert not problems, "axe-core found serious or critical problems at 390 px:\n" + \
        "\n".join(problems)


def main_pages(s: dict[str, Any]) -> dict[str, str]:
    """The pages docs/screens.md shows, by file name."""
    return {"datasets": "/datasets", "dataset": "/datasets/sales", "diff": "/datasets/sales/diff",
            "search": "/search?view=handbook_chunks&q=how+hot+to+bake+bread",
            "annotate": "/label/handbook/topic", "runs": f"/experiments/{s['experiment']}",
            "compare": "/compare?" + "&".join(f"ids={r}" for r in s["runs"]),
            "model": "/models/churn-classifier",
            "lineage": "/lineage?ref=model:churn-classifier/1", "jobs": "/jobs",
            "hardware": "/hardware", "ask": "/ask?view=handbook_chunks"}


def test_screenshots_of_the_main_pages(browser, live_server, seeded, tmp_path):  # noqa: F811
    """Written to docs/img/screens/ with SCREENSHOTS=1 (`make screens`), else to a temporary
    folder: either way each is taken and kept small."""
    folder = SCREENS if os.environ.get("SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page = logged_in(browser, live_server, viewport={"width": 1440, "height": 900})
    sizes = {}
    for name, path in main_pages(seeded).items():
        visit(page, path)
        if name == "ask":
            ask(page)
        page.screenshot(path=folder / f"{name}.png", full_page=False)
        sizes[name] = (folder / f"{name}.png").stat().st_size
    page.context.close()
    assert len(sizes) == 12 and max(sizes.values()) < 300_000, sizes
