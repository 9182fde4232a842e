"""The Train page in headless Chromium against `sluice up`: pick a version and a target,
see the detected task and columns, start, watch the leaderboard and the best curve fill,
register the best with one click and open its card."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.training.test_training_doors import cancer_frame
from tests.web.test_browser import browser, page  # noqa: F401 - shared fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_train_a_model_without_code(page, live_server):  # noqa: F811
    from sluice.sdk.remote import RemoteClient

    client = RemoteClient(live_server.url, live_server.token)
    client.datasets.append("biopsies", cancer_frame().to_dict("records"))
    client.close()
    page.goto("/train")
    page.fill("#train-dataset", "biopsies")
    page.click("#train-pick button[type=submit]")
    page.select_option("#train-target", "diagnosis")
    page.click("#train-pick button[type=submit]")
    expect(page.locator("#train-task")).to_contain_text("binary")
    expect(page.locator("#train-columns tbody tr")).to_have_count(30)
    page.select_option("#train-budget", "10")
    page.click("#train-start")
    page.wait_for_url(re.compile(r".*/train/[0-9A-Za-z]+$"))
    expect(page.locator("#leaderboard tbody tr td:nth-child(4)").first).not_to_be_empty(
        timeout=60_000)  # trials land while the search runs
    expect(page.locator("#training-state")).to_have_text("succeeded", timeout=90_000)
    expect(page.locator("#training-curve svg polyline")).to_have_count(1)
    best = float(page.inner_text("#training-best"))
    assert best > 0.95
    page.fill("#training-register input[name=name]", "tumour-model")
    page.click("#training-register button[type=submit]")
    page.wait_for_url("**/models/tumour-model/card?version=1")
    expect(page.locator("body")).to_contain_text("sluice (safe to load)")
    expect(page.locator("body")).to_contain_text("sluice:biopsies@v1")
