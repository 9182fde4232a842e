"""Projects, members and roles in headless Chromium, as an admin who never opens a
terminal sets up a second project; and the event log page."""

import httpx
import pytest

from tests.web.test_browser import browser, page  # noqa: F401 - shared fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_admin_sets_up_a_project_and_its_members(page, live_server):  # noqa: F811
    headers = {"Authorization": f"Bearer {live_server.token}"}
    httpx.post(f"{live_server.url}/api/v1/users", json={"name": "web-ann", "role": None},
               headers=headers).raise_for_status()
    page.on("dialog", lambda d: d.accept())
    page.goto("/projects")
    assert page.inner_text("#current-project") == "default"
    page.fill("#project-form input[name=name]", "web-lab")
    page.click("#project-form button[type=submit]")
    page.wait_for_selector("#projects tr[data-project=web-lab]")
    page.click("#projects tr[data-project=web-lab] button:text('Work here')")
    page.wait_for_url("**/datasets")
    assert "project: web-lab" in page.inner_text("header .project")

    page.goto("/members")
    assert page.inner_text("h1") == "Members of web-lab"
    page.fill("#member-form input[name=user]", "web-ann")
    page.select_option("#member-form select[name=role]", "annotator")
    page.click("#member-form button[type=submit]")
    page.wait_for_selector("#members tr[data-member=web-ann]")
    assert "annotator" in page.inner_text("#members tr[data-member=web-ann]")

    page.goto("/roles")
    row = page.inner_text("#role-matrix tr[data-permission='labels.annotate']")
    assert row.count("✓") == 4  # annotator, reviewer, editor, admin
    page.fill("#role-form input[name=name]", "web-reader")
    page.check("#role-form input[value='datasets.read']")
    page.click("#role-form button[type=submit]")
    page.wait_for_selector("#roles tr[data-role=web-reader]")
    page.click("#roles tr[data-role=web-reader] button")
    page.wait_for_selector("#roles tr[data-role=web-reader]", state="detached")

    page.goto("/audit")
    audit = page.inner_text("#audit")
    assert "member.add" in audit and "user:web-ann" in audit

    page.goto("/projects")
    page.click("#projects tr[data-project=web-lab] button:text('Delete')")
    page.wait_for_selector("#deleted-projects")
    assert "project: default" in page.inner_text("header .project")
    page.click("#deleted-projects button:text('Restore')")
    page.wait_for_selector("#projects tr[data-project=web-lab]")


def test_the_event_log_page_lists_changes_and_subscribers(page, live_server):  # noqa: F811
    headers = {"Authorization": f"Bearer {live_server.token}"}
    httpx.post(f"{live_server.url}/api/v1/datasets/evlog/rows", json={"rows": [{"a": 1}]},
               headers=headers).raise_for_status()
    page.goto("/events")
    page.wait_for_selector("text=dataset.committed")
    assert "evlog" in page.inner_text("main")
    assert "lineage" in page.inner_text("main")  # the subscribers table
