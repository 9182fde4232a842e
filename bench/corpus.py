"""Real passages and their all-MiniLM-L6-v2 embeddings for the vector benchmarks.

Passages are the sentences, and pairs of consecutive sentences, of the shared text
collections (AG News descriptions, the Rust book, Cranfield abstracts, YouTube comments)
until there are enough; queries are AG News titles. Embeddings are computed once (bf16,
as Sluice does) and cached in bench/results/.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bench.common import RESULTS, shared

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if len(s.strip()) > 20]


def _documents() -> Iterator[str]:
    with (shared("ag_news") / "test.csv").open(encoding="utf-8") as fh:
        for row in csv.reader(fh):
            yield row[2].replace("\\", " ")
    for path in sorted((shared("rust_book_md")).rglob("*.md")):
        yield re.sub(r"```.*?```", " ", path.read_text(encoding="utf-8"), flags=re.S)
    for line in (shared("cranfield") / "beir" / "corpus.jsonl").open(encoding="utf-8"):
        yield json.loads(line)["text"]
    for path in sorted(shared("youtube_spam").rglob("*.csv")):
        with path.open(encoding="utf-8", errors="replace") as fh:
            for row in csv.DictReader(fh):
                yield row.get("CONTENT", "")


def passages(n: int) -> list[str]:
    seen: dict[str, None] = {}
    docs = [_sentences(d) for d in _documents()]
    for width in range(1, 9):
        for sents in docs:
            for i in range(len(sents) - width + 1):
                seen.setdefault(" ".join(sents[i:i + width]))
                if len(seen) >= n:
                    return list(seen)
    return list(seen)


def queries(n: int) -> list[str]:
    with (shared("ag_news") / "test.csv").open(encoding="utf-8") as fh:
        titles = [row[1] for row in csv.reader(fh)]
    return titles[:n]


def embedded(name: str, texts: list[str], *, shard: int = 5000) -> np.ndarray:
    """Embeddings of ``texts`` by Sluice's embedder (bfloat16 where the CPU has it), cached
    under bench/results in shards, so an interrupted run resumes. For speed the model
    reads at most 128 tokens of a passage here (most passages are shorter)."""
    path = RESULTS / f"{name}-{len(texts)}.npy"
    if path.exists():
        return np.load(path)
    import torch

    from sluice.inference.embedders import get_embedder
    from sluice.settings import load_settings

    embedder = get_embedder("minilm", load_settings(env={}, embed_batch_size=128))
    embedder.model.max_seq_length = 128  # type: ignore[attr-defined]
    torch.set_num_threads(os.cpu_count() or 1)
    parts = []
    RESULTS.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(texts), shard):
        part = RESULTS / f"{name}-{len(texts)}.part{start // shard:04d}.npy"
        if not part.exists():
            np.save(part, embedder.embed(texts[start:start + shard]))
            print(f"embedded {min(start + shard, len(texts))}/{len(texts)}", flush=True)
        parts.append(np.load(part))
    vectors = np.concatenate(parts)
    np.save(path, vectors)
    for part in RESULTS.glob(f"{name}-{len(texts)}.part*.npy"):
        part.unlink()
    return vectors


def cached_path(name: str) -> Path:
    return RESULTS / name
