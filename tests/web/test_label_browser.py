"""Labeling in headless Chromium: five items with the keyboard, undo, skip, finishing the
session into a dataset version."""

import httpx
import pytest

from tests.web.test_browser import browser, page  # noqa: F401 - shared fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_label_five_items_with_the_keyboard(page, live_server):  # noqa: F811
    headers = {"Authorization": f"Bearer {live_server.token}"}
    rows = [{"text": f"comment number {i}: " + ("buy now" if i % 2 else "nice song")}
            for i in range(8)]
    httpx.post(f"{live_server.url}/api/v1/datasets/kbd/rows", json={"rows": rows},
               headers=headers).raise_for_status()
    page.goto("/label")
    page.select_option("#schema-form select[name=dataset]", "kbd")
    page.fill("#schema-form input[name=name]", "spam")
    page.fill("#schema-form input[name=classes]", "ham,spam")
    page.click("#schema-form button[type=submit]")
    page.wait_for_url("**/label/kbd/spam")
    page.wait_for_selector("#item p")
    colours = page.eval_on_selector("button.choice kbd", "k => [getComputedStyle(k).color, "
                                    "getComputedStyle(k).backgroundColor]")
    assert colours[0] != colours[1] and colours[0] != "rgb(255, 255, 255)"  # hints readable
    expected = {}
    for n in range(5):
        text = page.inner_text("#item")
        key = page.get_attribute("#annotate", "data-current")
        choice = "2" if "buy now" in text else "1"
        expected[key] = "spam" if choice == "2" else "ham"
        page.keyboard.press(choice)
        page.wait_for_selector(f"#annotate[data-saved='{n + 1}']", state="attached")
    assert "5 of 8 done · 5 labeled by you" in page.inner_text("#progress")  # live, no reload
    page.keyboard.press("u")  # undo the fifth
    page.wait_for_selector("#status:text-matches('^undone')")
    assert "4 of 8 done · 4 labeled by you" in page.inner_text("#progress")
    undone = page.get_attribute("#annotate", "data-current")
    page.keyboard.press("s")  # skip it instead
    page.wait_for_selector("#annotate[data-saved='6']", state="attached")
    assert "4 of 8 done · 4 labeled by you · 1 skipped" in page.inner_text("#progress")
    page.keyboard.press("ArrowLeft")
    assert "your answer: skipped" in page.inner_text("#item-key")
    answers = httpx.get(f"{live_server.url}/api/v1/datasets/kbd/labels/spam/annotations",
                        headers=headers).json()
    labelled = {a["row_key"]: a["label"] for a in answers if not a["skipped"]}
    del expected[undone]
    assert labelled == expected
    assert [a["row_key"] for a in answers if a["skipped"]] == [undone]
    page.keyboard.press("f")  # finish the session: a dataset version with the labels
    page.wait_for_selector("#status:text-matches('^session saved as kbd@')")
    version = int(page.get_attribute("#annotate", "data-version"))
    made = httpx.get(f"{live_server.url}/api/v1/datasets/kbd@{version}/rows",
                     headers=headers).json()
    assert {r["_key"]: r["label_spam"] for r in made["rows"] if r["label_spam"]} == expected


def test_create_a_keyword_function_in_the_page_and_see_its_coverage(page, live_server):  # noqa: F811
    headers = {"Authorization": f"Bearer {live_server.token}"}
    rows = [{"text": t} for t in ("check out my channel", "great song", "subscribe now",
                                  "love it")]
    httpx.post(f"{live_server.url}/api/v1/datasets/lfpage/rows", json={"rows": rows},
               headers=headers).raise_for_status()
    httpx.post(f"{live_server.url}/api/v1/datasets/lfpage/labels",
               json={"name": "spam", "classes": ["ham", "spam"]},
               headers=headers).raise_for_status()
    page.goto("/label")
    page.click("#schemas tr:has-text('lfpage') >> text=functions")
    page.wait_for_url("**/label/lfpage/spam/functions")
    page.wait_for_selector("#lf-form")
    page.fill("#lf-form input[name=name]", "promo_words")
    page.select_option("#lf-form select[name=kind]", "keyword")
    page.fill("#lf-form input[name=rule]", "channel, subscribe")
    page.select_option("#lf-form select[name=label]", "spam")
    page.click("#lf-form button[type=submit]")
    page.wait_for_url("**/jobs/**")  # applying runs as a job; its page links back
    page.wait_for_selector("#job[data-state=succeeded]", timeout=60_000)
    page.click("#job-back")
    page.wait_for_url("**/label/lfpage/spam/functions")
    page.wait_for_selector("tr[data-function=promo_words]")
    assert page.inner_text("tr[data-function=promo_words] td.coverage") == "50.0%"
    assert "spam" in page.inner_text("tr[data-function=promo_words]")


def test_multi_label_and_spans_in_the_page(page, live_server):  # noqa: F811
    headers = {"Authorization": f"Bearer {live_server.token}"}
    api = f"{live_server.url}/api/v1/datasets/mixed"
    text = "Visit https://spam.example now, it is great"
    httpx.post(f"{api}/rows", json={"rows": [{"text": text}]},
               headers=headers).raise_for_status()
    for body in ({"name": "topics", "classes": ["promo", "music", "praise"], "kind": "multi"},
                 {"name": "ents", "classes": ["URL", "TIME"], "kind": "spans"}):
        httpx.post(f"{api}/labels", json=body, headers=headers).raise_for_status()

    page.goto("/label/mixed/topics")
    page.wait_for_selector("#item p")
    page.keyboard.press("1")
    page.keyboard.press("3")
    assert "promo, praise" in page.inner_text("#pending")
    page.keyboard.press("Enter")
    page.wait_for_selector("#annotate[data-saved='1']", state="attached")

    page.goto("/label/mixed/ents")
    page.wait_for_selector("#item:has-text('spam.example')")
    page.wait_for_load_state("networkidle")  # the queue's background refill is in
    start = text.index("https")
    end = text.index(" now")
    page.evaluate("""([s, e]) => {
        const node = document.getElementById('item').firstChild;
        const range = document.createRange();
        range.setStart(node, s); range.setEnd(node, e);
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
    }""", [start, end])
    page.keyboard.press("1")
    assert "URL [" in page.inner_text("#pending")
    assert page.inner_text("#item mark") == "https://spam.example"
    page.keyboard.press("Enter")
    page.wait_for_selector("#annotate[data-saved='1']", state="attached")

    topics = httpx.get(f"{api}/labels/topics/annotations", headers=headers).json()
    assert topics[0]["labels"] == ["praise", "promo"]
    ents = httpx.get(f"{api}/labels/ents/annotations", headers=headers).json()
    assert ents[0]["spans"] == [{"start": start, "end": end, "label": "URL"}]


def test_learning_curve_page(page, live_server):  # noqa: F811
    headers = {"Authorization": f"Bearer {live_server.token}"}
    api = f"{live_server.url}/api/v1/datasets/alcurve"
    rows = [{"text": f"lovely calm song number {i}" if i % 2 else
             f"buy cheap pills now at shop {i}"} for i in range(30)]
    httpx.post(f"{api}/rows", json={"rows": rows}, headers=headers).raise_for_status()
    httpx.post(f"{api}/labels", json={"name": "spam", "classes": ["ham", "spam"]},
               headers=headers).raise_for_status()
    queue = httpx.get(f"{api}/labels/spam/queue", params={"limit": 30},
                      headers=headers).json()
    answers = [{"key": i["key"], "label": "spam" if "buy" in i["text"] else "ham"}
               for i in queue["items"]]
    session = httpx.post(f"{api}/labels/spam/sessions",
                         json={"answers": answers, "finish": True}, headers=headers)
    assert session.status_code == 201 and session.json()["saved"] == 30
    assert session.json()["version"] == 2
    page.goto("/label")
    # every row links a learning curve: pick this dataset's row by its link
    page.click("#schemas tr:has(a[href='/datasets/alcurve']) >> text=learning curve")
    page.wait_for_url("**/label/alcurve/spam/curve")
    page.select_option("#curve-form select[name=strategy]", "diversity")
    page.wait_for_url("**/curve?strategy=diversity")
    assert page.locator("#curve-chart polyline[data-series=diversity]").count() == 1
    assert page.locator("#curve tbody tr").count() == 3  # 24 rows to learn from, 6 held out


def test_change_a_schemas_text_column_in_the_page(page, live_server):  # noqa: F811
    headers = {"Authorization": f"Bearer {live_server.token}"}
    api = f"{live_server.url}/api/v1/datasets/colpick"
    rows = [{"id": f"c{i}", "title": f"post {i}", "body": f"a much longer body of post {i}"}
            for i in range(3)]
    httpx.post(f"{api}/rows", json={"rows": rows}, headers=headers).raise_for_status()
    made = httpx.post(f"{api}/labels", json={"name": "spam", "classes": ["ham", "spam"]},
                      headers=headers)
    assert made.json()["column"] == "body"
    page.goto("/label")
    row = "#schemas tr:has(a[href='/datasets/colpick'])"
    page.select_option(f"{row} select[name=column]", "title")
    page.click(f"{row} .column-form button")
    page.wait_for_url("**/label")
    assert page.locator(f"{row} select[name=column]").input_value() == "title"
    schema = httpx.get(f"{api}/labels/spam", headers=headers).json()
    assert schema["column"] == "title"


def test_choose_the_text_column_with_a_preview_when_creating_a_schema(page, live_server):  # noqa: F811
    headers = {"Authorization": f"Bearer {live_server.token}"}
    api = f"{live_server.url}/api/v1/datasets/preview"
    rows = [{"id": i, "customer": f"cust{i}", "comment": f"<b>the delivery {i} came late</b>"}
            for i in range(4)]
    httpx.post(f"{api}/rows", json={"rows": rows}, headers=headers).raise_for_status()
    page.goto("/label")
    page.select_option("#schema-form select[name=dataset]", "preview")
    column = page.locator("#schema-column")
    assert column.input_value() == "comment"  # the longest texts, suggested
    assert "comment (suggested)" in column.inner_text()
    preview = page.locator("#column-preview li")
    assert preview.count() == 3 and preview.first.inner_text() == "<b>the delivery 0 came late</b>"
    assert page.locator("#column-preview b").count() == 0  # shown as text, never markup
    column.select_option("customer")
    assert preview.first.inner_text() == "cust0"
    page.fill("#schema-form input[name=name]", "late")
    page.fill("#schema-form input[name=classes]", "yes,no")
    page.click("#schema-form button[type=submit]")
    page.wait_for_url("**/label/preview/late")
    schema = httpx.get(f"{api}/labels/late", headers=headers).json()
    assert schema["column"] == "customer"
