"""The tables of ``docs/benchmarks.md``, generated from the committed ``bench/results/*.json``.

Each table sits between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``; ``NAME`` picks
the renderer below and the result file. Prose outside the markers is written by hand.

    python -m bench.report           # rewrite the generated blocks
    python -m bench.report --check   # exit 1 when a block differs from its result file
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import ROOT, load
from bench.report_tables import RENDERERS

DOC = ROOT / "docs" / "benchmarks.md"
BLOCK = re.compile(r"(<!-- bench:(?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /bench:(?P=name) -->)",
                   re.S)


def render(name: str) -> str:
    renderer: Callable[[dict[str, Any]], str] = RENDERERS[name]
    data = load(RENDERERS_FILE.get(name, name))
    meta = data.get("meta", {})
    source = f"Result file `bench/results/{RENDERERS_FILE.get(name, name)}.json`"
    stamp = f"{source}, run of {meta['date']}." if meta.get("date") else f"{source}."
    return renderer(data).rstrip("\n") + f"\n\n{stamp}\n"


# Blocks that show a second view of another benchmark's result file.
RENDERERS_FILE = {"ingest_incremental": "ingest", "ingest_quality": "ingest",
                  "labeling_classifier": "labeling", "vectors_curve": "vectors",
                  "tracking_loop": "tracking", "embedding_attempts": "embedding"}


def rewrite(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + render(m.group("name")) + m.group(4), text)


def drift(path: Path = DOC) -> list[str]:
    """The names of the blocks whose text differs from what the result files give."""
    text = path.read_text()
    return [m.group("name") for m in BLOCK.finditer(text)
            if m.group("body") != render(m.group("name"))]


def main() -> int:
    if "--check" in sys.argv:
        stale = drift()
        for name in stale:
            print(f"docs/benchmarks.md block {name!r} differs from bench/results: "
                  "run `python -m bench.report`")
        return 1 if stale else 0
    DOC.write_text(rewrite(DOC.read_text()))
    print(f"rewrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
