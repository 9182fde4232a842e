"""Hostile and broken documents: every file ends as a row, ok or with a clear error code,
and nothing aborts the batch."""

import json

import pytest

from tests.conftest import shared_data

EXPECTED_ERRORS = {
    "pdf/password.pdf": "encrypted",
    "password_protected.xlsx": "encrypted",
    "empty.txt": "empty_file",
    "simple.zip": "unsupported_format",
    "CantinaBand3.wav": "unsupported_format",
}


@pytest.mark.slow
def test_whole_example_docs_folder(door_client):
    client = door_client
    folder = shared_data("unstructured_example_docs/example-docs")
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    job = client.ingest(folder, "examples")
    assert job.state == "succeeded", job.error
    rows = client.sql("SELECT path, status, error_code, error, text FROM examples",
                      limit=1000).rows()
    assert sorted(r["path"] for r in rows) == files
    by_path = {r["path"]: r for r in rows}
    for path, code in EXPECTED_ERRORS.items():
        assert by_path[path]["error_code"] == code, by_path[path]
    for row in rows:
        assert row["status"] in ("ok", "error")
        if row["status"] == "error":
            assert row["error_code"] and row["error"], row
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(ok) >= 0.9 * len(rows)
    assert "so Genoa and Lucca" in by_path["book-war-and-peace-1225p.txt"]["text"][:5000]
    assert by_path["pdf/DA-619p.pdf"]["status"] == "ok"
    # a re-run parses nothing and commits nothing
    again = client.ingest(folder, "examples")
    assert again.result["version"] is None and again.result["unchanged"] == len(files)


def test_synthetic_edge_cases(platform, ctx, tmp_path):
    from sluice.sdk.local import LocalClient

    client = LocalClient(platform, ctx, owns_platform=False)
    folder = tmp_path / "edge"
    folder.mkdir()
    (folder / "zero.txt").write_bytes(b"")
    (folder / "latin1.txt").write_bytes("café crème brûlée à Paris".encode("cp1252"))
    (folder / "utf16.md").write_bytes("# Título\n\nñandú".encode("utf-16"))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage that is not a pdf")
    (folder / "fake.docx").write_bytes(b"this is not a zip")
    (folder / "noise.bin").write_bytes(bytes(range(256)) * 10)
    (folder / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (folder / "mail.eml").write_text("From: a@b.c\nSubject: Hi\n\nbody text\n")
    (folder / "pic.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="9">'
                                    "<title>Chart</title><text>Q1 sales</text></svg>")
    (folder / "bomb.svg").write_text('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">'
                                     '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><svg>&b;</svg>')
    big = folder / "big.txt"
    with big.open("w") as fh:
        line = "lorem ipsum dolor sit amet " * 4 + "\n"
        for _ in range((50 * 1024 * 1024) // len(line) + 1):
            fh.write(line)
    job = client.ingest(folder, "edge")
    assert job.state == "succeeded", job.error
    rows = {r["name"]: r for r in client.sql(
        "SELECT name, status, error_code, title, length(text) AS n, metadata, text "
        "FROM edge").rows()}
    assert rows["zero.txt"]["error_code"] == "empty_file"
    assert rows["latin1.txt"]["text"] == "café crème brûlée à Paris"
    assert rows["utf16.md"]["title"] == "Título"
    assert rows["broken.pdf"]["error_code"] == "corrupt_file"
    assert rows["fake.docx"]["error_code"] == "corrupt_file"
    assert rows["noise.bin"]["error_code"] == "unsupported_format"
    assert rows["bad.png"]["error_code"] == "corrupt_file"
    assert rows["mail.eml"]["title"] == "Hi"
    assert (rows["pic.svg"]["title"], rows["pic.svg"]["text"]) == ("Chart", "Q1 sales")
    assert rows["bomb.svg"]["status"] in ("ok", "error")
    assert rows["big.txt"]["status"] == "ok" and rows["big.txt"]["n"] == 20_000_000
    assert json.loads(rows["big.txt"]["metadata"])["truncated_from_chars"] > 50_000_000
    assert big.stat().st_size > 50 * 1024 * 1024


def test_parse_timeout_and_size_limit(make_settings, tmp_path):
    from sluice.platform import Platform
    from sluice.sdk.local import LocalClient

    settings = make_settings(max_file_bytes=1000, parse_timeout_seconds=5)
    platform = Platform.open(settings)
    try:
        client = LocalClient(platform, platform.local_context(), owns_platform=False)
        folder = tmp_path / "docs"
        folder.mkdir()
        (folder / "small.md").write_text("# Small\n")
        (folder / "large.md").write_text("x" * 5000)
        job = client.ingest(folder, "d")
        rows = {r["name"]: r for r in client.sql("SELECT name, error_code, metadata FROM d")
                .rows()}
        assert rows["large.md"]["error_code"] == "too_large"
        assert rows["small.md"]["error_code"] is None
        assert json.loads(rows["small.md"]["metadata"])["encoding"] == "utf-8"
        assert job.result["errors"] == 1
    finally:
        platform.close()
