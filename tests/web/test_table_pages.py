"""The dataset page's rows table without a browser: sort, filter and paging from the URL,
the same in the page and its JSON twin, and a bad filter shown on the page."""

from tests.web.test_pages import web  # noqa: F401 - the shared logged-in client


def test_sort_filter_and_page_from_the_url(web):  # noqa: F811
    data = web.get("/datasets/tickets.json",
                   params={"sort": "score", "desc": "1", "where": "id < 30", "offset": 25}).json()
    rows = data["rows"]
    assert (rows["total"], rows["sort"], rows["descending"], rows["where"]) == \
        (30, "score", True, "id < 30")
    assert [r["id"] for r in rows["rows"]] == [4, 2, 1, 0, 3]  # 0 and 3 tie: by key
    assert data["row_columns"][0]["name"] == "id"  # the key column leads
    html = web.get("/datasets/tickets", params={"sort": "score", "where": "id < 30",
                                                 "cols": "body"}).text
    assert "Rows 1–25 of 30 matching the filter" in html and 'aria-sort="ascending"' in html
    assert 'href="?sort=score&amp;where=id+%3C+30&amp;cols=body&amp;version=2&amp;offset=25"' \
        in html  # the next page keeps the whole state


def test_a_bad_filter_or_column_is_shown_not_raised(web):  # noqa: F811
    page = web.get("/datasets/tickets", params={"where": "nope = 1"})
    assert page.status_code == 200 and 'id="rows-error"' in page.text
    assert "invalid_filter" in page.text and 'value="nope = 1"' in page.text
    twin = web.get("/datasets/tickets.json", params={"sort": "nope"}).json()
    assert twin["rows"]["rows"] == [] and "column_not_found" in twin["rows_error"]
