"""docs/benchmarks.md is generated from the committed results: a table that differs from
its result file, or a result file no table shows, fails here."""

import json

from bench.common import RESULTS
from bench.report import BLOCK, DOC, RENDERERS_FILE, drift, rewrite
from bench.report_tables import RENDERERS


def test_every_table_matches_its_result_file() -> None:
    assert drift() == [], "run `python -m bench.report` and commit docs/benchmarks.md"


def test_every_block_has_a_renderer_and_every_result_a_block() -> None:
    names = [m.group("name") for m in BLOCK.finditer(DOC.read_text())]
    assert names and set(names) <= set(RENDERERS), set(names) - set(RENDERERS)
    shown = {RENDERERS_FILE.get(n, n) for n in names}
    committed = {p.name.removesuffix(".json") for p in RESULTS.glob("*.json")
                 if not p.name.endswith(".quick.json")}
    assert committed <= shown, f"result files no table shows: {committed - shown}"


def test_every_result_file_says_where_and_how_it_was_measured() -> None:
    for path in RESULTS.glob("*.json"):
        if path.name.endswith(".quick.json"):
            continue
        meta = json.loads(path.read_text())["meta"]
        assert meta["machine"]["cpus"] and meta["versions"]["python"], path.name
        assert meta["quick"] is False, f"{path.name} is a quick run"


def test_a_changed_figure_is_caught() -> None:
    text = DOC.read_text()
    block = next(BLOCK.finditer(text))
    tampered = text.replace(block.group("body"), block.group("body") + "extra\n", 1)
    assert rewrite(tampered) == text
