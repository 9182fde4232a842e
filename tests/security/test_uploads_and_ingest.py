"""Uploads check the role before reading a byte; archives that unpack to gigabytes are
refused before a parser opens them, and parsers run under a memory cap; what a client
claims about a file's origin must look like a path."""

from __future__ import annotations

import hashlib
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

ORIGIN = {"origin": "http://testserver"}
XML_RUN = b"<w:p><w:r><w:t>aaaa</w:t></w:r></w:p>"


def _bomb(path: Path, member: str, megabytes: int) -> Path:
    """A zip whose ``member`` inflates to ``megabytes`` MB of XML (a few MB on disk)."""
    chunk = XML_RUN * (1024 * 1024 // len(XML_RUN))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(member, "w", force_zip64=True) as fh:
            for _ in range(megabytes):
                fh.write(chunk)
    return path


def _store_bytes(platform: Any) -> int:
    root = platform.settings.home / "store"
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) if root.exists() else 0


def test_a_viewer_upload_is_refused_before_anything_is_stored(as_role: Any,
                                                               platform: Any) -> None:
    before = _store_bytes(platform)
    files = [("files", ("big.txt", b"x" * (5 * 1024 * 1024), "text/plain"))]
    response = as_role("viewer").post("/upload", data={"dataset": "v"}, files=files,
                                      headers=ORIGIN, follow_redirects=False)
    assert response.status_code == 403
    assert _store_bytes(platform) == before


def test_an_upload_with_too_many_files_is_refused(make_settings: Any) -> None:
    from fastapi.testclient import TestClient

    from sluice.api.app import create_app
    from tests.conftest import _open

    for platform in _open(make_settings(max_upload_files=3)):
        token = (platform.settings.home / "admin-token").read_text().strip()
        with TestClient(create_app(platform, background=False)) as http:
            files = [("files", (f"f{i}.txt", b"hi", "text/plain")) for i in range(5)]
            response = http.post("/upload", data={"dataset": "many"}, files=files,
                                 headers={**ORIGIN, "Authorization": f"Bearer {token}"})
            assert response.status_code == 413
            assert "too_many_files" in response.text
            assert _store_bytes(platform) == 0


def test_an_upload_bigger_than_the_limit_is_refused(make_settings: Any) -> None:
    from fastapi.testclient import TestClient

    from sluice.api.app import create_app
    from tests.conftest import _open

    for platform in _open(make_settings(max_upload_bytes=10_000)):
        token = (platform.settings.home / "admin-token").read_text().strip()
        with TestClient(create_app(platform, background=False)) as http:
            files = [("files", ("big.txt", b"x" * 50_000, "text/plain"))]
            response = http.post("/upload", data={"dataset": "big"}, files=files,
                                 headers={**ORIGIN, "Authorization": f"Bearer {token}"})
            assert response.status_code == 413


def test_a_docx_that_inflates_to_a_gigabyte_is_refused_unparsed(as_role: Any, platform: Any,
                                                                tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "bomb.docx", "word/document.xml", 1024)
    data = bomb.read_bytes()
    assert len(data) < 5 * 1024 * 1024
    editor = as_role("editor")
    digest = hashlib.sha256(data).hexdigest()
    assert editor.put(f"/api/v1/blobs/{digest}", content=data).status_code == 201
    started = time.monotonic()
    job = editor.post("/api/v1/ingest", json={"dataset": "bombs", "files": [{
        "uri": "upload://bombs/bomb.docx", "root": "upload://bombs/", "rel": "bomb.docx",
        "size": len(data), "digest": digest}], "roots": [{"uri": "upload://bombs/"}]})
    assert job.status_code == 202, job.text
    final = platform.jobs.wait(platform.local_context(), job.json()["id"], timeout=120)
    assert time.monotonic() - started < 60  # not the 120 s parse timeout
    row = editor.post("/api/v1/sql", json={"query": "SELECT status, error_code FROM bombs"})
    assert final.state == "succeeded", final.error
    assert row.json()["rows"] == [{"status": "error", "error_code": "archive_too_large"}]


def test_an_xlsx_bomb_in_a_table_ingest_is_refused(platform: Any, tmp_path: Path) -> None:
    from sluice.core.ingest.service import IngestRequest

    bomb = _bomb(tmp_path / "sheet.xlsx", "xl/worksheets/sheet1.xml", 64)
    ctx = platform.local_context()
    job = platform.ingest.submit(ctx, IngestRequest(dataset="sheets", paths=[str(bomb)]))
    final = platform.jobs.wait(ctx, job.id, timeout=60)
    assert final.state == "failed" and "archive_too_large" in str(final.error)


def test_parser_processes_run_under_a_memory_cap() -> None:
    from sluice.core.ingest.parsers.base import Limits
    from sluice.core.ingest.pool import _Worker

    worker = _Worker(Limits(memory_bytes=1536 * 1024 * 1024))
    try:
        worker.wait_ready()
        limits = Path(f"/proc/{worker.process.pid}/limits").read_text()
        line = next(ln for ln in limits.splitlines() if ln.startswith("Max address space"))
        assert line.split()[3] == str(1536 * 1024 * 1024)
    finally:
        worker.kill()


@pytest.mark.parametrize("claimed", [
    {"rel": "../../etc/passwd"}, {"rel": "/etc/passwd"},
    {"uri": "file:///../../etc/passwd"}, {"uri": "http://evil.example/x"},
    {"root": "file:///a/%2e%2e/b"},
])
def test_an_upload_must_claim_a_clean_origin(as_role: Any, claimed: dict[str, str]) -> None:
    editor = as_role("editor")
    data = b"hello"
    digest = hashlib.sha256(data).hexdigest()
    editor.put(f"/api/v1/blobs/{digest}", content=data)
    item = {"uri": "file:///home/me/a.txt", "root": "file:///home/me", "rel": "a.txt",
            "size": 5, "digest": digest, **claimed}
    response = editor.post("/api/v1/ingest", json={"dataset": "prov", "files": [item]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_path"
