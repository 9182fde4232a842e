"""Vector search over 100,000 x 384 real all-MiniLM-L6-v2 embeddings.

Sluice's vector index (the FAISS HNSW index every view keeps, with its id mapping and
deletion filter) against raw FAISS HNSW with the same parameters, FAISS exact search,
numpy brute force, and, when installed (``pip install lancedb chromadb``), LanceDB's
IVF_HNSW_SQ index and Chroma. Same vectors, same 1,000 queries (AG News titles), same run.

    python -m bench.vectors
"""

from __future__ import annotations

import gc
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.common import best_of, save
from bench.corpus import embedded, passages, queries

N, NQ, K = 100_000, 1_000, 10
Search = Callable[[np.ndarray], np.ndarray]  # (q, dim) -> (q, K) ids


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(name: str, build: Callable[[], Any], batch: Search, single: Search,
            truth: np.ndarray, qv: np.ndarray) -> dict[str, Any]:
    import faiss

    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    handle = build()
    build_s = time.perf_counter() - started
    memory = rss_mb() - before
    faiss.omp_set_num_threads(2)
    batch(qv[:50])  # warm up
    found = batch(qv)
    qps = len(qv) / best_of(lambda: batch(qv), repeat=3)
    faiss.omp_set_num_threads(1)
    latencies = []
    for i in range(len(qv)):
        t0 = time.perf_counter()
        single(qv[i:i + 1])
        latencies.append((time.perf_counter() - t0) * 1000)
    faiss.omp_set_num_threads(2)
    recall = float(np.mean([len(set(f[:K]) & set(t)) / K for f, t in zip(found, truth,
                                                                           strict=True)]))
    del handle
    result = {"recall_at_10": round(recall, 4), "batch_qps": round(qps),
              "single_p50_ms": round(statistics.median(latencies), 3),
              "single_p99_ms": round(float(np.percentile(latencies, 99)), 3),
              "build_s": round(build_s, 2), "memory_mb": round(memory)}
    print(name, result, flush=True)
    return result


def sluice_index(x: np.ndarray, ids: np.ndarray) -> tuple[Any, Search]:
    from sluice.core.search.vectors import VectorIndex

    holder: dict[str, Any] = {}

    def build() -> Any:
        holder["index"] = VectorIndex(x.shape[1])
        holder["index"].add(ids, x)
        return holder["index"]

    return build, lambda q: holder["index"].search(q, K).ids


def faiss_hnsw(x: np.ndarray) -> tuple[Any, Search]:
    import faiss

    from sluice.core.search.vectors import EF_CONSTRUCTION, EF_SEARCH, HNSW_M

    holder: dict[str, Any] = {}

    def build() -> Any:
        index = faiss.IndexHNSWFlat(x.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = EF_CONSTRUCTION
        index.hnsw.efSearch = EF_SEARCH
        index.add(x)
        holder["index"] = index
        return index

    return build, lambda q: holder["index"].search(q, K)[1]


def faiss_flat(x: np.ndarray) -> tuple[Any, Search]:
    import faiss

    holder: dict[str, Any] = {}

    def build() -> Any:
        holder["index"] = faiss.IndexFlatIP(x.shape[1])
        holder["index"].add(x)
        return holder["index"]

    return build, lambda q: holder["index"].search(q, K)[1]


def numpy_brute(x: np.ndarray) -> tuple[Any, Search]:
    def search(q: np.ndarray) -> np.ndarray:
        scores = q @ x.T
        top = np.argpartition(-scores, K, axis=1)[:, :K]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        return np.take_along_axis(top, order, axis=1)

    return (lambda: x), search


LANCE_SETTINGS = [(20, 1), (40, 2), (80, 4)]  # (nprobes, refine_factor), cheapest first


def lancedb_index(x: np.ndarray, folder: str,
                  nprobes: int, refine: int) -> tuple[Any, Search] | None:
    try:
        import lancedb
        import pyarrow as pa
    except ImportError:
        return None

    def build() -> Any:
        if "table" not in _LANCE:
            db = lancedb.connect(folder)
            vectors = pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), x.shape[1])
            table = db.create_table("v", pa.table({"id": np.arange(len(x)),
                                                   "vector": vectors}))
            table.create_index(metric="cosine", index_type="IVF_HNSW_SQ")
            _LANCE["table"] = table
        return _LANCE["table"]

    def search(q: np.ndarray) -> np.ndarray:
        table = _LANCE["table"]
        return np.array([table.search(v).nprobes(nprobes).refine_factor(refine).limit(K)
                         .select(["id", "_distance"]).to_arrow().column("id").to_numpy()
                         for v in q])

    return build, search


_LANCE: dict[str, Any] = {}


def chroma_index(x: np.ndarray) -> tuple[Any, Search] | None:
    try:
        import chromadb
    except ImportError:
        return None
    holder: dict[str, Any] = {}

    def build() -> Any:
        client = chromadb.EphemeralClient()
        col = client.create_collection("vectors", metadata={"hnsw:space": "cosine"})
        step = 5000
        for i in range(0, len(x), step):
            col.add(ids=[str(j) for j in range(i, min(i + step, len(x)))],
                    embeddings=x[i:i + step])
        holder["col"] = col
        return col

    def search(q: np.ndarray) -> np.ndarray:
        res = holder["col"].query(query_embeddings=q, n_results=K, include=[])
        return np.array([[int(i) for i in row] for row in res["ids"]])

    return build, search


def lance_best(x: np.ndarray, folder: str, truth: np.ndarray, qv: np.ndarray) -> Any:
    """LanceDB at the cheapest search settings that reach recall 0.95 (or its best)."""
    best: dict[str, Any] | None = None
    for nprobes, refine in LANCE_SETTINGS:
        made = lancedb_index(x, folder, nprobes, refine)
        if made is None:
            return "not installed"
        result = measure(f"lancedb nprobes={nprobes} refine={refine}", made[0], made[1],
                         made[1], truth, qv)
        result["settings"] = {"nprobes": nprobes, "refine_factor": refine}
        if best is None or result["recall_at_10"] > best["recall_at_10"]:
            best = result
        if result["recall_at_10"] >= 0.95:
            return result
    return best


def main() -> None:
    texts = passages(N)
    x = embedded("passages", texts)
    qv = embedded("queries", queries(NQ))
    scores = qv @ x.T
    truth = np.argsort(-scores, axis=1)[:, :K]
    ids = np.arange(len(x), dtype=np.int64)
    results: dict[str, Any] = {"vectors": list(x.shape), "queries": NQ}
    engines: dict[str, Any] = {
        "sluice": sluice_index(x, ids), "faiss_hnsw": faiss_hnsw(x),
        "faiss_flat": faiss_flat(x), "numpy_brute_force": numpy_brute(x)}
    for name, (build, search) in engines.items():
        results[name] = measure(name, build, search, search, truth, qv)
    made = chroma_index(x)
    results["chroma"] = measure("chroma", made[0], made[1], made[1], truth, qv) \
        if made else "not installed"
    with tempfile.TemporaryDirectory() as folder:
        results["lancedb_ivf_hnsw_sq"] = lance_best(x, folder, truth, qv)
    s = results["sluice"]
    for other in ("faiss_hnsw", "chroma", "lancedb_ivf_hnsw_sq", "numpy_brute_force"):
        if isinstance(results.get(other), dict):
            ratio = s["batch_qps"] / results[other]["batch_qps"]
            results[f"sluice_vs_{other}_qps"] = round(ratio, 2)
    save("vectors", results)


if __name__ == "__main__":
    main()
