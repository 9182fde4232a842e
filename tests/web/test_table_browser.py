"""The table component in headless Chromium: a 100,000-row dataset sorted, filtered,
paged, with columns hidden and long cells opened, and the state kept in the URL."""

import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.test_browser import browser, page  # noqa: F401 - shared fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROWS = 100_000
BATCH = 10_000
LONG = "a long note that goes on " * 20


def _row(i: int) -> dict:
    return {"id": i, "name": f"n{i % 1000:03d}", "score": (i * 7919) % ROWS,
            "note": f"{LONG}#{i}" if i % 10 == 0 else f"short {i}"}


@pytest.fixture(scope="module")
def big(live_server):
    started = time.monotonic()
    with httpx.Client(base_url=live_server.url, timeout=120,
                      headers={"Authorization": f"Bearer {live_server.token}"}) as http:
        for start in range(0, ROWS, BATCH):
            body = {"rows": [_row(i) for i in range(start, start + BATCH)], "key_column": "id"}
            http.post("/api/v1/datasets/big_table/rows", json=body).raise_for_status()
        assert http.get("/api/v1/datasets/big_table").json()["latest"]["row_count"] == ROWS
    assert time.monotonic() - started < 60
    return "big_table"


def column(page, name):  # noqa: F811
    """The texts of one column of the rows table, by its header's data-col."""
    return page.eval_on_selector_all(
        "#rows tbody tr:not(.dtable-detail)",
        """(rows, name) => {
             const heads = [...document.querySelectorAll('#rows thead th')];
             const i = heads.findIndex(th => th.dataset.col === name);
             return rows.map(tr => tr.cells[i].querySelector('.dtable-clip').textContent.trim());
           }""", name)


def query(page):  # noqa: F811
    return parse_qs(urlparse(page.url).query)


def test_a_100k_row_table_sorted_filtered_paged_and_picked(page, big):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/datasets/{big}")
    expect(page.locator("#rows-count")).to_contain_text("of 100,000")
    assert column(page, "id")[:3] == ["0", "1", "2"]  # stable order: by the key column
    pinned = page.locator("#rows thead th").first
    assert pinned.get_attribute("data-col") == "id"
    assert pinned.evaluate("th => getComputedStyle(th).position") == "sticky"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.click("#rows th[data-col=score] a.sort")  # ascending
    page.wait_for_url("**sort=score**")
    assert column(page, "score")[:2] == ["0", "1"]
    page.click("#rows th[data-col=score] a.sort")  # then descending
    page.wait_for_url("**desc=1**")
    assert column(page, "score")[:2] == ["99999", "99998"]
    assert page.get_attribute("#rows th[data-col=score]", "aria-sort") == "descending"

    page.fill("#rows-where", "name = 'n010'")
    page.click("#rows-filter button[type=submit]")
    page.wait_for_url("**where=**")
    expect(page.locator("#rows-count")).to_contain_text("Rows 1–25 of 100 matching")
    assert set(column(page, "name")) == {"n010"}
    scores = [int(s) for s in column(page, "score")]
    assert scores == sorted(scores, reverse=True) and query(page)["sort"] == ["score"]

    first = page.locator("#rows tbody tr").first
    note = first.locator("td").nth(3)
    more = note.locator("button.dtable-more")
    expect(more).to_have_attribute("aria-expanded", "false")
    clipped = note.bounding_box()["height"]
    more.focus()
    page.keyboard.press("Enter")  # the keyboard opens it as well as a click
    expect(more).to_have_attribute("aria-expanded", "true")
    assert note.bounding_box()["height"] > clipped * 2
    first.locator("button.dtable-row").click()
    detail = page.locator("#rows tr.dtable-detail")
    expect(detail).to_contain_text("name")
    expect(detail.locator("a.dtable-open-row")).to_have_attribute(
        "href", f"/datasets/{big}/document?key={column(page, 'id')[0]}&version=10")

    page.click(".dtable-picker summary")
    page.uncheck(".dtable-picker input[data-col=note]")
    expect(page.locator("#rows th[data-col=note]")).to_be_hidden()
    assert query(page)["cols"] == ["name", "score", "_key", "_source"]
    page.reload()
    expect(page.locator("#rows th[data-col=note]")).to_be_hidden()
    expect(page.locator("#rows th[data-col=name]")).to_be_visible()
    assert not page.is_checked(".dtable-picker input[data-col=note]")

    before = column(page, "id")
    page.click("#rows-pager a[rel=next]")
    page.wait_for_url("**offset=25**")
    state = query(page)
    assert (state["sort"], state["desc"], state["where"]) == (["score"], ["1"], ["name = 'n010'"])
    assert state["cols"] == ["name", "score", "_key", "_source"]
    expect(page.locator("#rows-count")).to_contain_text("Rows 26–50 of 100")
    expect(page.locator("#rows th[data-col=note]")).to_be_hidden()
    assert set(column(page, "name")) == {"n010"} and not set(column(page, "id")) & set(before)
    page.click("#rows-pager a[rel=prev]")
    page.wait_for_url(lambda url: "offset" not in url and "where=" in url)
    assert column(page, "id") == before and query(page)["cols"][0] == "name"


def test_a_bad_filter_is_shown_on_the_page(page, big):  # noqa: F811
    page.goto(f"/datasets/{big}?where=nope+%3E+1")
    expect(page.locator("#rows-error")).to_contain_text("invalid_filter")
    expect(page.locator("#rows-where")).to_have_value("nope > 1")


def test_jobs_and_audit_tables_get_the_picker_and_pinned_column(page, big):  # noqa: F811
    page.goto("/audit")
    expect(page.locator("#audit th").first).to_have_class("dtable-pin dtable-pin-last")
    page.click(".dtable-picker summary")
    page.uncheck(".dtable-picker input[data-col=Details]")
    expect(page.locator("#audit th", has_text="Details")).to_be_hidden()
    assert query(page)["cols"] == ["Who", "Action", "Target"]
    page.goto("/jobs")
    expect(page.locator("#jobs th").first).to_have_class("dtable-pin dtable-pin-last")


def test_stored_text_is_only_ever_text(page, live_server):  # noqa: F811
    evil = '<img src=x onerror="document.title=\'owned\'"><script>document.title="owned"</script>'
    rows = [{"id": 1, "<b>col</b>": evil * 5, "note": "javascript:alert(1)"}]
    httpx.post(f"{live_server.url}/api/v1/datasets/evil_rows/rows",
               json={"rows": rows, "key_column": "id"},
               headers={"Authorization": f"Bearer {live_server.token}"}).raise_for_status()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    page.goto("/datasets/evil_rows")
    first = page.locator("#rows tbody tr").first
    first.locator("button.dtable-more").first.click()
    first.locator("button.dtable-row").click()
    page.click(".dtable-picker summary")
    assert page.locator("#rows img, #rows script, #rows b, .dtable-picker b").count() == 0
    assert evil in page.inner_text("#rows tr.dtable-detail")
    assert "<b>col</b>" in page.inner_text(".dtable-picker")
    assert page.title() != "owned"
