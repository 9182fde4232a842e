"""Ingest throughput and incremental re-ingest.

Anchor: the script a user would otherwise write: markitdown over each file in turn, rows
collected and written to one Parquet file (no versions, no change detection).

    python -m bench.ingest
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import save, shared


def folder_stats(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def sluice_ingest(home: Path, folder: Path, dataset: str) -> tuple[float, dict[str, Any]]:
    from sluice.sdk.connect import connect

    client = connect(home=home, executor="thread")
    try:
        started = time.perf_counter()
        job = client.ingest(folder, dataset)
        elapsed = time.perf_counter() - started
        assert job.state == "succeeded", job.error
        return elapsed, job.result or {}
    finally:
        client.close()


def markitdown_script(folder: Path, out: Path) -> float:
    """Convert every file with markitdown, then write the rows as Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from markitdown import MarkItDown

    md = MarkItDown(enable_plugins=False)
    started = time.perf_counter()
    rows = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            text, error = md.convert_local(str(path)).markdown, None
        except Exception as exc:  # the anchor records failures too
            text, error = None, str(exc)[:200]
        rows.append({"path": str(path), "text": text, "error": error})
    pq.write_table(pa.Table.from_pylist(rows), out)
    return time.perf_counter() - started


def throughput(name: str, folder: Path, anchor_timeout_files: int | None = None) -> dict:
    n, size = folder_stats(folder)
    with tempfile.TemporaryDirectory() as tmp:
        sl, result = sluice_ingest(Path(tmp) / "home", folder, "bench")
        anchor = markitdown_script(folder, Path(tmp) / "out.parquet")
    return {"corpus": name, "files": n, "mb": round(size / 1e6, 2),
            "sluice_s": round(sl, 2), "sluice_docs_per_s": round(n / sl, 1),
            "sluice_mb_per_s": round(size / 1e6 / sl, 2), "sluice_errors": result["errors"],
            "markitdown_script_s": round(anchor, 2),
            "markitdown_docs_per_s": round(n / anchor, 1),
            "speedup_vs_markitdown": round(anchor / sl, 2)}


def incremental(folder: Path) -> dict:
    """Full ingest of a copy, then 1% of the files changed and ingested again."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "corpus"
        shutil.copytree(folder, work)
        total = sum(1 for p in work.rglob("*") if p.is_file())
        markdown = sorted(work.rglob("*.md"))
        full, _ = sluice_ingest(Path(tmp) / "home", work, "inc")
        for path in markdown[:: len(markdown) // max(1, round(total * 0.01))][
                : max(1, round(total * 0.01))]:
            path.write_text(path.read_text() + "\n\nEdited for the benchmark.\n")
        again, result = sluice_ingest(Path(tmp) / "home", work, "inc")
        unchanged, _ = sluice_ingest(Path(tmp) / "home", work, "inc")
    return {"files": result["files"], "changed_files": result["changed"],
            "full_s": round(full, 2), "incremental_s": round(again, 3),
            "unchanged_s": round(unchanged, 3),
            "incremental_fraction_of_full": round(again / full, 4), "goal": "<= 0.05"}


def combined_corpus(tmp: Path) -> Path:
    target = tmp / "mixed"
    shutil.copytree(shared("unstructured_example_docs/example-docs"), target / "examples")
    shutil.copytree(shared("rust_book_md/src"), target / "rust_book")
    return target


def main() -> None:
    results = {
        "mixed_documents": throughput("unstructured example-docs",
                                      shared("unstructured_example_docs/example-docs")),
        "rust_book_markdown": throughput("Rust book (Markdown)", shared("rust_book_md/src")),
    }
    with tempfile.TemporaryDirectory() as tmp:
        results["incremental_1_percent"] = incremental(combined_corpus(Path(tmp)))
    save("ingest", results)


if __name__ == "__main__":
    main()
