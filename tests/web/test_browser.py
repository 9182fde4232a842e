"""The web UI in headless Chromium (Debian's), against a real server process."""

import shutil

import pytest

from tests.search.test_views_and_search import NOTES
from tests.web.helpers import logged_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    from tests.conftest import IN_CI

    if not shutil.which(CHROMIUM):
        if IN_CI:
            pytest.fail("chromium is required under CI (make system-deps)")
        pytest.skip("Debian chromium is not installed (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto("/datasets")
    assert "/login" in page.url
    page.fill("input[name=token]", live_server.token)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/datasets")
    yield page
    context.close()


def test_upload_watch_job_open_dataset_and_query(page, tmp_path):
    csv = tmp_path / "orders.csv"
    csv.write_text("id,customer,amount\n1,ana,10.5\n2,bo,20\n3,ana,7.25\n")
    page.goto("/upload")
    page.fill("input[name=dataset]", "orders")
    page.set_input_files("input[name=files]", str(csv))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/jobs/**")
    page.wait_for_selector("#job[data-state=succeeded]", timeout=60_000)
    assert "succeeded" in page.inner_text("#job-state")
    page.click("#job-back")
    page.wait_for_url("**/datasets/orders")
    assert page.inner_text("#rows").count("ana") == 2
    assert "@1" in page.inner_text("#versions")

    page.click("#quality button[type=submit]")
    page.wait_for_selector("#job[data-state=succeeded]", timeout=60_000)
    page.click("#job-back")
    page.wait_for_selector("#quality svg.chart")

    page.goto("/sql")
    page.fill("textarea[name=q]", "SELECT customer, sum(amount) AS total FROM orders "
                                  "GROUP BY 1 ORDER BY 1")
    page.click("#sql-form button[type=submit]")
    page.wait_for_selector("#sql-result")
    text = page.inner_text("#sql-result")
    assert "ana" in text and "17.75" in text and "bo" in text


def test_the_nav_comes_from_the_areas_and_the_areas_page_links_to_them(page):
    labels = page.locator("header nav a").all_inner_texts()
    assert labels[:5] == ["Datasets", "Upload", "Search", "Ask", "SQL"] and labels[-1] == "Audit"
    page.click("footer a[href='/areas']")
    page.wait_for_url("**/areas")
    assert page.locator("#areas tr[id^=area-]").count() >= 13
    assert "sluice areas" not in page.inner_text("#areas")  # commands listed bare
    page.click("#area-labels a[href='/label']")
    page.wait_for_url("**/label")
    assert page.locator("header nav a.on").inner_text() == "Label"


def test_the_hardware_page_is_one_click_from_every_page(page):
    page.click("footer a[href='/hardware']")
    page.wait_for_url("**/hardware")
    assert "SLUICE_DEVICE=" in page.inner_text("#device")
    assert page.locator("#machine tr").count() >= 6


def test_sql_errors_are_shown(page):
    page.goto("/sql")
    page.fill("textarea[name=q]", "DELETE FROM orders")
    page.click("#sql-form button[type=submit]")
    assert "sql_not_read_only" in page.inner_text("#sql-error")


def test_create_a_view_search_it_and_open_the_source(page, live_server):
    import httpx

    rows = [{"title": "tea.md", "text": "# Tea\n\nGreen tea is steeped at 80 degrees."},
            {"title": "lava.md", "text": "# Lava\n\nBasalt forms when molten rock cools."}]
    httpx.post(f"{live_server.url}/api/v1/datasets/notes/rows",
               json={"rows": rows, "key_column": "title"},
               headers={"Authorization": f"Bearer {live_server.token}"}).raise_for_status()
    page.goto("/search")
    page.click("#new-view summary") if not page.is_visible("#new-view input[name=name]") \
        else None
    page.fill("#new-view input[name=name]", "notes_chunks")
    page.select_option("#new-view select[name=source]", "notes")
    page.click("#new-view button[type=submit]")
    page.wait_for_selector("#job[data-state=succeeded]", timeout=120_000)
    page.click("#job-back")
    page.wait_for_url("**/search?view=notes_chunks")
    page.fill("#search-q", "how hot to steep green tea")
    page.check("input[name=mode][value=text]")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#search-hits")
    first = page.locator("#search-hits li").first
    assert "tea.md" in first.inner_text()
    assert page.locator("#search-hits mark").count() >= 2
    page.check("input[name=mode][value=vector]")
    page.fill("#search-q", "volcanic stone")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#search-hits")
    page.locator("#search-hits .hit-source").first.click()
    page.wait_for_url("**/datasets/notes/document**")
    assert "Basalt" in page.inner_text("#document-text")


def test_ask_streams_an_answer_with_expandable_sources(page, live_server):
    from sluice.sdk.remote import RemoteClient

    with RemoteClient(live_server.url, live_server.token) as client:
        client.datasets.append("recipes", [
            {"title": "scones.md", "text": "# Scones\n\nBake scones at 220 degrees for 12 "
                                           "minutes until golden."},
            {"title": "bread.md", "text": "# Bread\n\nBake bread at 230 degrees for 35 "
                                          "minutes."}], key_column="title")
        client.views.create("recipes_chunks", "recipes", chunk_size=64, chunk_overlap=8)
    page.goto("/ask?view=recipes_chunks")
    page.fill("#ask-q", "How long do scones bake?")
    page.click("#ask-form button[type=submit]")
    page.wait_for_selector("#ask-output[data-state=done]", timeout=120_000)
    assert page.inner_text("#ask-answer").strip()
    assert "220 degrees for 12 minutes" in page.inner_text("#ask-extract")
    assert page.locator("#ask-sources details").count() == 2
    first = page.locator("#source-1")
    assert "scones.md" in first.inner_text()
    first.locator("summary").click()
    assert first.get_attribute("open") is not None
    assert "220 degrees" in first.inner_text()
    first.locator("summary").click()  # closed again; the extract's [1] opens it
    page.click("#ask-extract a.cite")
    assert first.get_attribute("open") is not None
    page.fill("#ask-q", "What temperature for bread?")
    page.click("#ask-form button[type=submit]")
    page.wait_for_selector("#ask-history article.previous")
    assert "scones" in page.inner_text("#ask-history")
    page.wait_for_selector("#ask-output[data-state=done]", timeout=120_000)
    page.click("#ask-status a")
    page.wait_for_url("**/traces/**")
    assert "generation" in page.inner_text("main")


def test_every_page_fits_a_phone_and_the_nav_folds(browser, live_server):
    phone = logged_in(browser, live_server, viewport={"width": 390, "height": 844})
    context = phone.context
    assert phone.is_hidden("#main-nav") and phone.is_visible("button.menu")
    phone.click("button.menu")
    assert phone.is_visible("#main-nav") and phone.get_attribute(
        "button.menu", "aria-expanded") == "true"
    hrefs = phone.eval_on_selector_all("#main-nav a", "links => links.map(a => a.pathname)")
    wide = []
    for path in [*hrefs, "/hardware", "/areas", "/tokens", "/docs", "/upload"]:
        phone.goto(path)
        sizes = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if sizes[0] > sizes[1] + 1:
            wide.append((path, sizes[0]))
    context.close()
    assert wide == [], f"pages wider than a 390 px phone: {wide}"


def test_ask_with_a_looping_model_shows_the_extract_a_clean_answer_and_why_it_stopped(
        browser, tmp_path_factory, looping_provider):
    from sluice.sdk.remote import RemoteClient
    from tests.conftest import LiveServer, free_port

    server = LiveServer(tmp_path_factory.mktemp("looping") / "home", free_port(),
                        llm="openai", openai_base_url=looping_provider,
                        llm_max_tokens="4000", llm_context_tokens="8192")
    server.start()
    context = browser.new_context(base_url=server.url)
    try:
        with RemoteClient(server.url, server.token) as client:
            client.datasets.append("notes", NOTES, key_column="title")
            client.views.create("notes_chunks", "notes", chunk_size=40, chunk_overlap=5)
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=token]", server.token)
        page.click("#login-form button[type=submit]")
        page.goto("/ask?view=notes_chunks")
        page.fill("#ask-q", "At what temperature is green tea steeped?")
        page.click("#ask-form button[type=submit]")
        page.wait_for_selector("#ask-output[data-state=done]", timeout=60_000)
        assert "80 degrees" in page.inner_text("#ask-extract")
        answer = page.locator("#ask-answer")
        assert answer.locator("strong").inner_text() == "80 degrees"  # Markdown, rendered
        assert answer.locator("li").count() == 1 and answer.locator("a.cite").count() == 2
        assert answer.inner_text().count("-o") <= 1  # the loop is gone
        notice = page.locator("#ask-notice")
        assert notice.is_visible() and "repeating itself" in notice.inner_text()
        page.select_option("#ask-style", "extract")
        page.click("#ask-form button[type=submit]")
        page.wait_for_selector("#ask-output[data-state=done]", timeout=60_000)
        assert page.locator("#ask-answer-card").is_hidden()
        assert "80 degrees" in page.inner_text("#ask-extract") and "style=extract" in page.url
    finally:
        context.close()
        server.stop()


def test_a_diff_shows_a_redaction_and_new_labels_in_the_cells_that_changed(page, live_server):
    from sluice.sdk.remote import RemoteClient

    rows = [{"id": i, "body": f"Ticket {i}: the export is slow since Monday, please advise."}
            for i in range(1, 6)]
    rows[2]["body"] += " Write to ana.lopez@example.com with the details."
    with RemoteClient(live_server.url, live_server.token) as client:
        client.datasets.append("support", rows, key_column="id")
        client.quality.redact("support")  # version 2: the e-mail masked
        client.labels.create_schema("support", "urgent", ["yes", "no"])
        with client.labels.session("support", "urgent") as session:  # version 3
            for key in client.labels.queue("support", "urgent", limit=2).items:
                session.annotate(key.key, label="yes")
    page.goto("/datasets/support/diff?from=1&to=2")
    assert page.inner_text("#diff-summary").split() == ["+0", "added", "−0", "removed",
                                                        "~1", "changed"]
    cell = page.locator("#diff-rows tr.changed .cell-diff[data-column=body]")
    assert "ana.lopez@example.com" in cell.locator("del").inner_text()
    assert cell.locator("ins").count() >= 1 and "Ticket 3" in cell.inner_text()
    page.goto("/datasets/support/diff?from=2&to=3")
    assert "label_urgent" in page.inner_text("main")  # the new column
    labelled = page.locator("#diff-rows tr.changed .cell-diff[data-column=label_urgent]")
    assert labelled.count() == 2 and labelled.first.locator("ins").inner_text() == "yes"
    page.goto("/datasets/support/diff?from=3&to=3")
    assert page.locator("#no-differences").is_visible()
