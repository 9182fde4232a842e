"""``sluice views``, ``sluice index`` and ``sluice search`` as a real process."""

from tests.cli.test_cli import js, run


def test_views_index_and_search(tmp_path):
    home = tmp_path / "home"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tea.md").write_text("# Tea\n\nGreen tea is steeped at 80 degrees.\n")
    (docs / "lava.md").write_text("# Lava\n\nBasalt forms when molten rock cools.\n")
    run(home, "ingest", str(docs), "--dataset", "docs", "--json")
    view = js(run(home, "views", "create", "docs_chunks", "--from", "docs", "--json"))
    assert view["chunks"] == 2 and view["source_version"] == 1
    human = run(home, "search", "docs", "steeping green tea", "-k", "1")
    assert "tea.md" in human.stdout and "1 results from docs_chunks@1" in human.stdout
    hits = js(run(home, "search", "docs_chunks", "volcanic stone", "--mode", "vector",
                  "--json"))["hits"]
    assert hits[0]["source"].endswith("lava.md")
    assert "up to date" in run(home, "index", "docs_chunks").stdout
    (docs / "chess.md").write_text("# Chess\n\nThe Sicilian defence answers e4 with c5.\n")
    run(home, "ingest", str(docs), "--dataset", "docs", "--json")
    job = js(run(home, "index", "docs", "--json"))
    assert job["result"].get("rows_rechunked", 0) in (0, 1)  # 0: the auto sync ran first
    listed = js(run(home, "views", "list", "--json"))
    assert listed[0]["chunks"] == 3 and listed[0]["source_version"] == 2
    bad = run(home, "search", "docs", "", "--json", check=False)
    assert bad.returncode != 0 and '"query_empty"' in bad.stdout + bad.stderr
    missing = run(home, "search", "nope", "tea", check=False)
    assert missing.returncode != 0 and "view" in missing.stderr
    run(home, "views", "delete", "docs_chunks")
    assert js(run(home, "views", "list", "--json")) == []


def test_ask_streams_and_traces(tmp_path):
    home = tmp_path / "home"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tea.md").write_text("# Tea\n\nGreen tea is steeped at 80 degrees.\n")
    run(home, "ingest", str(docs), "--dataset", "docs", "--json")
    run(home, "views", "create", "docs_chunks", "--from", "docs", "--json")
    human = run(home, "ask", "docs", "How hot is the water for green tea?", "--max-tokens", "6")
    assert "[1]" in human.stdout and "tea.md" in human.stdout and "rag-answer@1" in human.stdout
    result = js(run(home, "ask", "docs", "green tea?", "--max-tokens", "4", "--json"))
    assert result["citations"][0]["source"].endswith("tea.md")
    traces = js(run(home, "traces", "list", "--json"))
    assert traces[0]["id"] == result["trace_id"] and len(traces) == 2
    shown = run(home, "traces", "show", result["trace_id"])
    assert "retrieval" in shown.stdout and "generation" in shown.stdout
    bad = run(home, "ask", "docs", "tea", "-k", "99", check=False)
    assert bad.returncode != 0 and "k must be" in bad.stderr
