"""Ingest through both doors: local paths, or uploads of only the missing files."""

import pytest

from sluice.core.jobs.models import JobState
from sluice.errors import NotFound


def write_folder(root):
    (root / "guide").mkdir(parents=True)
    (root / "guide" / "intro.md").write_text("# Intro\n\nSluice turns folders into datasets.\n")
    (root / "guide" / "notes.txt").write_text("Plain notes, reach me at ana@example.com\n")
    (root / "data.csv").write_text("id,name\n1,ana\n2,bo\n")
    return root


def test_folder_ingest_then_incremental(client, tmp_path):
    folder = write_folder(tmp_path / "src")
    job = client.ingest(folder, "docs")
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["new"] == 3 and job.result["version"] == 1
    rows = client.sql("SELECT path, status, title, mime_type FROM docs ORDER BY path").rows()
    assert [r["path"] for r in rows] == ["data.csv", "guide/intro.md", "guide/notes.txt"]
    assert rows[1]["title"] == "Intro" and rows[1]["mime_type"] == "text/markdown"

    again = client.ingest(folder, "docs")
    assert again.result["version"] is None and again.result["unchanged"] == 3
    assert len(client.datasets.versions("docs")) == 1

    (folder / "guide" / "intro.md").write_text("# Intro\n\nChanged.\n")
    (folder / "guide" / "notes.txt").unlink()
    (folder / "guide" / "new.md").write_text("# New\n")
    third = client.ingest(folder, "docs")
    r = third.result
    assert (r["new"], r["changed"], r["deleted"], r["unchanged"]) == (1, 1, 1, 1)
    diff = client.datasets.diff("docs", 1, 2)
    assert (diff.added, diff.removed, diff.changed) == (1, 1, 1)


def test_table_files_become_rows(client, tmp_path):
    csv = tmp_path / "people.csv"
    csv.write_text("id,name,age\n1,ana,31\n2,bo,45\n")
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text('{"id": 3, "name": "cy", "age": 29}\n')
    job = client.ingest([csv, jsonl], "people")
    assert job.state == JobState.SUCCEEDED, job.error
    assert client.sql("SELECT sum(age) AS s FROM people").rows() == [{"s": 105}]
    assert client.ingest([csv, jsonl], "people").result["version"] is None
    csv.write_text("id,name,age\n1,ana,32\n")
    client.ingest([csv], "people")
    assert client.sql("SELECT count(*) AS n, sum(age) AS s FROM people").rows() == \
        [{"n": 2, "s": 61}]


def test_bad_table_file_is_reported_and_others_land(client, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("a,b\n1,2\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\nnot json\n')
    job = client.ingest([good, bad], "mixed")
    assert job.state == JobState.SUCCEEDED
    assert job.result["errors"] == 1
    assert job.result["error_files"][0]["code"] == "table_unreadable"
    assert client.datasets.version("mixed").row_count == 1


def test_missing_path_is_a_clear_error(client, tmp_path):
    with pytest.raises(NotFound) as err:
        client.ingest(tmp_path / "nope", "docs")
    assert err.value.code == "path_not_found"
