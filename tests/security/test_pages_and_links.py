"""Stored data never becomes a link or a script; every response carries the browser
protections; redirects and downloads cannot be steered by a parameter or a file name."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.web.links import internal_path

CSP_SCRIPT = "script-src 'self'"


def _card_with_input(editor: Any, source: str) -> str:
    """A registered model whose run logged an input with this ``source``; the card's HTML."""
    editor.post("/api/v1/experiments", json={"name": "sec", "exist_ok": True})
    run = editor.post("/api/v1/runs", json={"experiment": "sec"}).json()
    assert editor.post(f"/api/v1/runs/{run['id']}/inputs",
                       json=[{"name": "d", "source": source}]).status_code == 204
    put = editor.put(f"/api/v1/runs/{run['id']}/artifacts/model/weights.txt", content=b"w")
    assert put.status_code == 201
    assert editor.post("/api/v1/models", json={"name": "m"}).status_code == 201
    made = editor.post("/api/v1/models/m/versions", json={"source": f"runs:/{run['id']}/model"})
    assert made.status_code == 201, made.text
    page = editor.get("/models/m/card")
    assert page.status_code == 200
    return str(page.text)


def test_a_javascript_source_on_a_model_card_is_text_not_a_link(as_role: Any) -> None:
    editor = as_role("editor")
    html = _card_with_input(editor, "javascript:alert(document.domain)")
    assert "javascript:" not in html.split('id="model-card"')[0]  # the lineage line
    assert 'href="javascript' not in html
    assert "external d" in html  # still named, as plain text
    assert CSP_SCRIPT in editor.get("/models/m/card").headers["content-security-policy"]


def test_a_sluice_source_links_to_its_dataset_version(as_role: Any) -> None:
    html = _card_with_input(as_role("editor"), "sluice:tickets@3")
    assert '<a href="/datasets/tickets?version=3">tickets@3</a>' in html


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "//evil.example/x", "/\\evil.example/x", "/%5C%5Cx\\y",
    "https://evil.example", "/ok\nLocation: x", " /datasets", "data:text/html,x", 42, None,
])
def test_only_plain_local_paths_are_links(url: Any) -> None:
    assert internal_path(url) is None


def test_local_paths_are_kept() -> None:
    assert internal_path("/datasets/x?version=2") == "/datasets/x?version=2"


def test_a_job_page_ignores_a_back_link_to_another_site(as_role: Any, platform: Any) -> None:
    admin = as_role("admin")
    admin.post("/api/v1/datasets/t/rows", json={"rows": [{"a": 1}]})
    job = admin.post("/api/v1/datasets/t/quality").json()
    admin.get(f"/jobs/{job['id']}.json")
    platform.jobs.wait(platform.local_context(), job["id"], timeout=60)
    for back in ("/\\evil.example/x", "//evil.example", "javascript:alert(1)"):
        page = admin.get(f"/jobs/{job['id']}", params={"back": back})
        assert 'id="job-back"' not in page.text and 'href="/\\' not in page.text
        assert admin.get(f"/jobs/{job['id']}.json", params={"back": back}).json()["back"] is None
    ok = admin.get(f"/jobs/{job['id']}.json", params={"back": "/datasets/t"}).json()
    assert ok["back"] == "/datasets/t"


def test_login_never_redirects_off_site(anon: Any, admin_token: str) -> None:
    form = anon.get("/login", params={"next": "/\\evil.example"}).text
    assert '<input type="hidden" name="next" value="/datasets">' in form
    done = anon.post("/login", data={"token": admin_token, "next": "/%5Cevil.example"},
                     follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/%5Cevil.example"
    bad = anon.post("/login", data={"token": admin_token, "next": "/\\evil.example"},
                    follow_redirects=False)
    assert bad.headers["location"] == "/datasets"


def test_an_artifact_name_with_quotes_cannot_break_the_download_header(as_role: Any) -> None:
    editor = as_role("editor")
    editor.post("/api/v1/experiments", json={"name": "sec", "exist_ok": True})
    run = editor.post("/api/v1/runs", json={"experiment": "sec"}).json()
    name = 'evil";filename=x.html;.txt'
    assert editor.put(f"/api/v1/runs/{run['id']}/artifacts/{name}",
                      content=b"data").status_code == 201
    response = editor.get(f"/runs/{run['id']}/files/{name}")
    assert response.status_code == 200
    header = response.headers["content-disposition"]
    assert header.startswith('attachment; filename="evil__filename_x.html_.txt"; ')
    assert header.count('"') == 2
    assert "filename*=UTF-8''evil%22%3Bfilename%3Dx.html%3B.txt" in header


@pytest.mark.parametrize("path", ["/api/v1/whoami", "/datasets", "/static/app.css",
                                  "/api/v1/nowhere", "/datasets/missing.json"])
def test_every_response_carries_the_browser_protections(as_role: Any, path: str) -> None:
    response = as_role("viewer").get(path, follow_redirects=False)
    assert CSP_SCRIPT in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_pages_use_no_inline_script(as_role: Any) -> None:
    """The CSP allows only scripts from files; a page with inline handlers would break."""
    viewer = as_role("viewer")
    for path in ("/datasets", "/label", "/experiments", "/tokens", "/ask", "/docs"):
        html = viewer.get(path).text
        assert "<script>" not in html and " onclick=" not in html and " onchange=" not in html
        assert " onsubmit=" not in html and "javascript:" not in html


def test_the_api_reference_is_a_page_behind_the_login(as_role: Any, anon: Any) -> None:
    assert anon.get("/openapi.json").status_code == 401
    assert anon.get("/docs", follow_redirects=False).status_code == 303
    page = as_role("viewer").get("/docs")
    assert page.status_code == 200 and "/api/v1/datasets" in page.text
    assert "cdn" not in page.text.lower()
    spec = as_role("viewer").get("/openapi.json").json()
    assert "/api/v1/whoami" in spec["paths"]


def test_markdown_links_to_other_sites_stay_text(as_role: Any) -> None:
    editor = as_role("editor")
    html = _card_with_input(editor, "sluice:tickets@1")
    editor.patch("/api/v1/models/m/versions/1",
                 json={"description": "[Sign in](https://evil.example/phish) [ok](/datasets)"})
    card = editor.get("/models/m/card").text
    assert "https://evil.example" in card and 'href="https://evil.example' not in card
    assert '<a href="/datasets">ok</a>' in card
    assert html
