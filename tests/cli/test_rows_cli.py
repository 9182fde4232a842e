"""``sluice datasets rows``: a page of rows sorted and filtered on the server."""

import json

from tests.cli.test_cli import js, run


def test_rows_sorted_filtered_and_a_bad_filter(tmp_path):
    home = tmp_path / "home"
    data = tmp_path / "people.jsonl"
    data.write_text("".join(json.dumps({"id": i, "name": f"p{i}", "score": i % 4}) + "\n"
                            for i in range(1, 11)))
    run(home, "datasets", "append", "people", str(data), "--key", "id")
    page = js(run(home, "datasets", "rows", "people", "--sort", "score", "--desc",
                  "--where", "id <= 6", "--limit", "3", "-c", "id", "-c", "score", "--json"))
    assert page["total"] == 6 and [r["id"] for r in page["rows"]] == [3, 2, 6]
    assert [c["name"] for c in page["columns"]] == ["id", "score"]
    human = run(home, "datasets", "rows", "people@1", "--where", "name = 'p7'")
    assert "people@1: rows 1-1 of 1" in human.stdout and "p7" in human.stdout
    bad = run(home, "datasets", "rows", "people", "--where", "1=1) OR (1=1", "--json",
              check=False)
    assert bad.returncode == 2 and js(bad)["error"]["code"] == "invalid_filter"
