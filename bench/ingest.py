"""Ingest throughput, extracted-text quality and incremental re-ingest.

Sluice is timed where a user calls it: ``client.ingest(folder, name)`` (the SDK; ``sluice
ingest`` runs the same job): hash and store every file, parse in isolated worker processes
with a time limit, one atomic Lance commit. Anchor: the script a user would otherwise
write, at the same process count: markitdown over the files in a process pool with as
many workers as Sluice has parse workers, rows written to one Parquet file (no versions,
no change detection, no isolation). The mixed folder is measured with and without its one
outlier (a 619-page PDF that markitdown's pdfminer path takes minutes over). Text quality:
for a sample of PDF, DOCX, PPTX, HTML and XLSX files, the share of a reference text's
characters (whole words, counted with multiplicity) that each tool's text contains; the
references come from a third extractor per format (pypdf, the DOCX/PPTX XML text nodes,
BeautifulSoup, openpyxl).

    python -m bench.ingest [--quick]
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import zipfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from bench.common import quick, save, shared, spread

OUTLIER = "DA-619p.pdf"
WORKERS = 2  # Sluice's default parse workers (settings.workers) on this machine
QUALITY_EXTENSIONS = {".pdf", ".docx", ".pptx", ".html", ".htm", ".xlsx"}
_WORD = re.compile(r"\w+")


def files_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def sluice_ingest(home: Path, folder: Path, dataset: str) -> tuple[float, dict[str, Any]]:
    from sluice.sdk.connect import connect

    client = connect(home=home, executor="thread", workers=WORKERS)
    try:
        started = time.perf_counter()
        job = client.ingest(folder, dataset)
        elapsed = time.perf_counter() - started
        assert job.state == "succeeded", job.error
        return elapsed, job.result or {}
    finally:
        client.close()


def sluice_texts(home: Path, dataset: str) -> dict[str, str]:
    from sluice.sdk.connect import connect

    client = connect(home=home, executor="thread")
    try:
        rows = client.datasets.to_arrow(dataset).select(["uri", "text"]).to_pylist()
    finally:
        client.close()
    return {unquote(urlparse(r["uri"]).path): r["text"] or "" for r in rows}


_MD: Any = None


def _convert(path: str) -> dict[str, Any]:
    global _MD
    if _MD is None:
        from markitdown import MarkItDown

        _MD = MarkItDown(enable_plugins=False)
    try:
        return {"path": path, "text": _MD.convert_local(path).markdown, "error": None}
    except Exception as exc:  # the anchor records failures too
        return {"path": path, "text": None, "error": str(exc)[:200]}


def markitdown_script(folder: Path, out: Path) -> tuple[float, list[dict[str, Any]]]:
    """Convert every file with markitdown in a process pool, then write Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    started = time.perf_counter()
    with ProcessPoolExecutor(WORKERS, mp_context=get_context("spawn")) as pool:
        rows = list(pool.map(_convert, [str(p) for p in files_of(folder)], chunksize=1))
    pq.write_table(pa.Table.from_pylist(rows), out)
    return time.perf_counter() - started, rows


def throughput(name: str, folder: Path, anchor_runs: int, runs: int) -> dict[str, Any]:
    files = files_of(folder)
    size = sum(p.stat().st_size for p in files)
    ours, theirs, errors = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            seconds, result = sluice_ingest(Path(tmp) / f"home{i}", folder, "bench")
            ours.append(seconds)
            errors = result["errors"]
        for i in range(anchor_runs):
            seconds, rows = markitdown_script(folder, Path(tmp) / f"out{i}.parquet")
            theirs.append(seconds)
    return {"corpus": name, "files": len(files), "mb": round(size / 1e6, 2),
            "sluice_s": spread(ours, 2), "sluice_errors": errors,
            "markitdown_s": spread(theirs, 2),
            "markitdown_errors": sum(1 for r in rows if r["error"]),
            "speedup": round(spread(theirs)["median"] / spread(ours)["median"], 2)}


def reference_text(path: Path) -> str | None:
    """A third extractor's text for ``path`` (None when it cannot read the file)."""
    ext = path.suffix.lower()
    try:
        if ext == ".pdf":
            import pypdf

            return "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(path).pages)
        if ext in (".docx", ".pptx"):
            return _xml_text(path, "word/document.xml" if ext == ".docx" else "ppt/slides/")
        if ext in (".html", ".htm"):
            from bs4 import BeautifulSoup

            soup = BeautifulSoup(path.read_bytes(), "html.parser")
            for tag in soup(["script", "style"]):
                tag.decompose()
            return soup.get_text(" ")
        if ext == ".xlsx":
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            rows = (row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
            return "\n".join(" ".join("" if v is None else str(v) for v in row) for row in rows)
    except Exception:
        return None
    return None


def _xml_text(path: Path, prefix: str) -> str:
    with zipfile.ZipFile(path) as zf:
        parts = [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()
                 if n.startswith(prefix) and n.endswith(".xml")]
    texts = re.findall(r"<(?:w|a):t(?:\s[^>]*)?>([^<]*)</(?:w|a):t>", " ".join(parts))
    return " ".join(texts)


def recovered(reference: str, text: str) -> tuple[int, int]:
    """Characters of the reference's words that ``text`` also has (with multiplicity)."""
    want = Counter(w.lower() for w in _WORD.findall(reference))
    have = Counter(w.lower() for w in _WORD.findall(text))
    total = sum(len(w) * n for w, n in want.items())
    return sum(len(w) * min(n, have[w]) for w, n in want.items()), total


def quality(folder: Path, ours: dict[str, str], theirs: dict[str, str]) -> dict[str, Any]:
    by_ext: dict[str, dict[str, int]] = {}
    for path in files_of(folder):
        ext = path.suffix.lower()
        if ext not in QUALITY_EXTENSIONS or path.name == OUTLIER or path.stat().st_size > 2e6:
            continue
        ref = reference_text(path)
        if not ref or len(_WORD.findall(ref)) < 5:
            continue
        got_ours, total = recovered(ref, ours.get(str(path), ""))
        got_theirs, _ = recovered(ref, theirs.get(str(path)) or "")
        slot = by_ext.setdefault(ext.lstrip("."), {"files": 0, "reference_chars": 0,
                                                   "sluice_chars": 0, "markitdown_chars": 0})
        slot["files"] += 1
        slot["reference_chars"] += total
        slot["sluice_chars"] += got_ours
        slot["markitdown_chars"] += got_theirs
    for slot in by_ext.values():
        slot["sluice_share"] = round(slot["sluice_chars"] / slot["reference_chars"], 3)
        slot["markitdown_share"] = round(slot["markitdown_chars"] / slot["reference_chars"], 3)
    return dict(sorted(by_ext.items()))


def quality_run(folder: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        sluice_ingest(Path(tmp) / "home", folder, "quality")
        ours = sluice_texts(Path(tmp) / "home", "quality")
        _, rows = markitdown_script(folder, Path(tmp) / "out.parquet")
    theirs = {r["path"]: r["text"] for r in rows}
    return quality(folder, ours, theirs)


def incremental(folder: Path) -> dict[str, Any]:
    """Full ingest of a copy, then 1% of the files changed and ingested again."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "corpus"
        shutil.copytree(folder, work)
        total = len(files_of(work))
        markdown = sorted(work.rglob("*.md"))
        full, _ = sluice_ingest(Path(tmp) / "home", work, "inc")
        count = max(1, round(total * 0.01))
        for path in markdown[:: len(markdown) // count][:count]:
            path.write_text(path.read_text() + "\n\nEdited for the benchmark.\n")
        again, result = sluice_ingest(Path(tmp) / "home", work, "inc")
        unchanged, _ = sluice_ingest(Path(tmp) / "home", work, "inc")
    return {"files": result["files"], "changed_files": result["changed"],
            "full_s": round(full, 2), "incremental_s": round(again, 3),
            "unchanged_s": round(unchanged, 3),
            "incremental_fraction_of_full": round(again / full, 4),
            "goal": {"at_most": 0.05, "met": again / full <= 0.05}}


def main() -> None:
    runs = 1 if quick() else 3
    with tempfile.TemporaryDirectory() as tmp:
        mixed = shared("unstructured_example_docs/example-docs")
        trimmed = Path(tmp) / "example-docs"
        shutil.copytree(mixed, trimmed, ignore=shutil.ignore_patterns(OUTLIER))
        results: dict[str, Any] = {
            "mixed_without_outlier": throughput("unstructured example-docs without "
                                                f"{OUTLIER}", trimmed, runs, runs),
            "rust_book_markdown": throughput("Rust book (Markdown)", shared("rust_book_md/src"),
                                             runs, runs),
        }
        if not quick():  # markitdown takes minutes over the outlier: timed once
            results["mixed_with_outlier"] = throughput("unstructured example-docs", mixed,
                                                       1, runs)
        results["text_quality"] = quality_run(trimmed)
        combined = Path(tmp) / "mixed"
        shutil.copytree(trimmed, combined / "examples")
        shutil.copytree(shared("rust_book_md/src"), combined / "rust_book")
        results["incremental_1_percent"] = incremental(combined)
    save("ingest", results, settings={"parse_workers": WORKERS, "markitdown_processes": WORKERS,
                                      "path": "SDK client.ingest (as sluice ingest)"})


if __name__ == "__main__":
    main()
