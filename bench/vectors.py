"""Vector search, like for like: recall@10 against queries/s for every engine, each timed at
the call a user makes, over the same real all-MiniLM-L6-v2 embeddings (100,000 passages x
384; ``--quick``: 20,000) and the same 1,000 queries (AG News titles; ``--quick``: 300).

Engines, and the call each is timed at:

* ``sluice``: ``VectorIndex.search`` (``sluice.core.search.vectors``), the call every view
  search makes, built the way a view's sync builds it; efSearch swept on the index.
* ``sluice_service``: ``SearchService.search_vectors`` on a synced view (precomputed query
  vectors in, chunk keys out), at the default efSearch. It is a service method: the SDK
  has no vector-in search.
* ``faiss_hnsw``: raw ``faiss.IndexHNSWFlat`` with Sluice's M and efConstruction; efSearch
  swept. ``faiss_flat`` and ``numpy_brute_force``: exact references.
* ``chroma``: ``collection.query`` on a ``PersistentClient`` collection, HNSW with the same
  M and efConstruction; ef_search swept (changed with ``collection.modify`` and a reopen).
* ``lancedb``: ``table.search(<all queries>)`` (batched) on an IVF_HNSW_SQ index with the
  same M and efConstruction; ef, refine_factor (and nprobes, with more than one partition)
  swept. Built once.

Batch throughput uses 2 threads (medians of 3 runs, with min and max); single-query
latency sends the queries one at a time on 1 thread. Each engine runs in its own process,
so its memory figure (RSS growth over build and a warm-up) is its own. Writes
``bench/results/vectors.json`` and the chart ``docs/img/vectors-recall-qps.svg`` (a quick
run: ``bench/results/vectors.quick.json`` and ``vectors-recall-qps.quick.svg`` beside it).

    python -m bench.vectors [--quick]      (SLUICE_BENCH_VECTORS_N overrides the size)
"""

from __future__ import annotations

import gc
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from bench.chart import recall_qps_svg
from bench.common import ROOT, quick, rate, save, timed
from bench.corpus import cached_path, embedded, passages, queries

K = 10
THREADS = 2  # batch search; single queries run on 1
RECALL_TARGET = 0.95
GOALS = {"chroma": 2.0, "lancedb": 4.0, "faiss_hnsw": 0.8}  # Sluice q/s / theirs, at recall
SINGLE_P50_GOAL_MS = 0.5
MIN_RUN_S = 0.3  # a timed batch run repeats the whole query set until it lasts this long
CHART = ROOT / "docs" / "img" / "vectors-recall-qps.svg"
QUICK_CHART = ROOT / "bench" / "results" / "vectors-recall-qps.quick.svg"  # not docs/
ENGINES = ("sluice", "sluice_service", "faiss_hnsw", "chroma", "lancedb", "faiss_flat",
           "numpy_brute_force")
Settings = dict[str, int]


@dataclass(frozen=True)
class Plan:
    n: int
    nq: int
    ef: tuple[int, ...]  # efSearch sweep for Sluice, raw FAISS and Chroma
    lance: tuple[Settings, ...]  # LanceDB search settings ({} = its defaults)


def plan() -> Plan:
    if quick():
        n = int(os.environ.get("SLUICE_BENCH_VECTORS_N", "20000"))
        return Plan(n, 300, (16, 32, 96, 256),
                    ({}, {"ef": 16}, {"ef": 64}, {"ef": 256}, {"ef": 64, "refine_factor": 2},
                     {"ef": 256, "refine_factor": 4}))
    n = int(os.environ.get("SLUICE_BENCH_VECTORS_N", "100000"))
    return Plan(n, 1000, (16, 32, 64, 96, 128, 256),
                ({}, {"ef": 16}, {"ef": 32}, {"ef": 64}, {"ef": 128}, {"ef": 256},
                 {"ef": 64, "refine_factor": 2}, {"ef": 128, "refine_factor": 2},
                 {"ef": 256, "refine_factor": 4}))


LANCE_NPROBES = (5, 50)  # added at ef=128 when the index has more than one partition


# -- measuring ------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@contextmanager
def threads(n: int) -> Iterator[None]:
    """FAISS's OpenMP threads and the BLAS pools (numpy), set to ``n`` for the block."""
    import faiss
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    faiss.omp_set_num_threads(n)
    with threadpool_limits(limits=n):
        yield
    faiss.omp_set_num_threads(THREADS)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    hits = [len(set(f[:K].tolist()) & set(t.tolist())) for f, t in zip(found, truth,
                                                                        strict=True)]
    return round(float(np.mean(hits)) / K, 4)


def latencies_ms(single: Callable[[np.ndarray], Any], qv: np.ndarray) -> list[float]:
    out = []
    for v in qv:
        started = time.perf_counter()
        single(v)
        out.append((time.perf_counter() - started) * 1000)
    return out


class Engine:
    """One engine: built once, then searched at each of its settings."""

    path = ""  # the call that is timed
    index = ""  # what is built
    threads = ""  # how its threads were set
    notes: list[str]

    def __init__(self, x: np.ndarray, plan: Plan) -> None:
        self.x, self.plan, self.notes = x, plan, []

    def build(self) -> None: ...

    def sweep(self) -> list[Settings]:
        return [{}]

    def is_default(self, settings: Settings) -> bool:
        return not settings

    def apply(self, settings: Settings) -> None: ...

    def batch(self, q: np.ndarray) -> Any:  # the user's call, all queries at once
        raise NotImplementedError

    def ids(self, result: Any) -> np.ndarray:  # (queries, K) row numbers, outside timing
        return np.asarray(result)

    def single(self, v: np.ndarray) -> Any:  # the user's call, one query
        return self.batch(v[None, :])

    def close(self) -> None: ...


def measure_point(engine: Engine, settings: Settings, qv: np.ndarray,
                  truth: np.ndarray) -> dict[str, Any]:
    engine.apply(settings)
    with threads(THREADS):
        started = time.perf_counter()
        found = engine.ids(engine.batch(qv))  # also the warm-up
        passes = max(1, math.ceil(MIN_RUN_S / (time.perf_counter() - started)))
        seconds = timed(lambda: [engine.batch(qv) for _ in range(passes)])
    with threads(1):
        engine.single(qv[0])
        lat = latencies_ms(engine.single, qv)
    point: dict[str, Any] = {"settings": settings, "default": engine.is_default(settings),
             "recall_at_10": recall_at_k(found, truth),
             "batch_qps": rate(len(qv) * passes, seconds), "batch_passes": passes,
             "single_p50_ms": round(statistics.median(lat), 4),
             "single_p99_ms": round(float(np.percentile(lat, 99)), 4)}
    print(f"  {settings} recall {point['recall_at_10']} batch {point['batch_qps']['median']}"
          f" q/s, p50 {point['single_p50_ms']} ms", flush=True)
    return point


def run_engine(engine: Engine, qv: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    gc.collect()
    before = rss_mb()
    with threads(THREADS):
        started = time.perf_counter()
        engine.build()
        build_s = time.perf_counter() - started
        engine.batch(qv[:50])
    memory = rss_mb() - before
    points = [measure_point(engine, s, qv, truth) for s in engine.sweep()]
    engine.close()
    return {"path": engine.path, "index": engine.index, "threads": engine.threads,
            "build_s": round(build_s, 2), "memory_mb": round(memory), "points": points,
            "notes": engine.notes}


# -- engines --------------------------------------------------------------------------------


def hnsw_flat(dim: int) -> Any:
    import faiss

    from sluice.core.search.vectors import EF_CONSTRUCTION, HNSW_M

    index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    return index


def hnsw_params() -> str:
    from sluice.core.search.vectors import EF_CONSTRUCTION, HNSW_M

    return f"M={HNSW_M}, efConstruction={EF_CONSTRUCTION}"


def ef_sweep(plan: Plan) -> list[Settings]:
    from sluice.core.search.vectors import EF_SEARCH

    return [{"ef_search": ef} for ef in sorted({*plan.ef, EF_SEARCH})]


def is_default_ef(settings: Settings) -> bool:
    from sluice.core.search.vectors import EF_SEARCH

    return settings.get("ef_search") == EF_SEARCH


class SluiceIndex(Engine):
    path = ("sluice.core.search.vectors.VectorIndex.search(queries, k=10): what every view "
            "search calls (SearchService.search and search_vectors go through it)")
    threads = "faiss.omp_set_num_threads (2 batch, 1 single)"

    def build(self) -> None:
        from sluice.core.search.vectors import EXACT_MAX, VectorIndex

        ids = np.arange(len(self.x), dtype=np.int64)
        if len(self.x) > EXACT_MAX:
            self.vi = VectorIndex(self.x.shape[1])  # as a view's sync builds it
        else:
            self.vi = VectorIndex(self.x.shape[1], index=hnsw_flat(self.x.shape[1]))
            self.notes.append(f"{len(self.x)} vectors <= EXACT_MAX ({EXACT_MAX}): a view "
                              "this small searches exactly; HNSW was forced here")
        self.vi.add(ids, self.x)
        self.index = f"{self.vi.kind} ({hnsw_params()}), float32, unit vectors, inner product"

    def sweep(self) -> list[Settings]:
        return ef_sweep(self.plan)

    def is_default(self, settings: Settings) -> bool:
        return is_default_ef(settings)

    def apply(self, settings: Settings) -> None:
        index: Any = self.vi.index
        index.hnsw.efSearch = settings["ef_search"]

    def batch(self, q: np.ndarray) -> Any:
        return self.vi.search(q, K).ids


class _Precomputed:
    """A bench-only embedder: the text ``passage <i>`` embeds to the i-th cached vector."""

    name = "bench-precomputed"
    vectors = np.zeros((0, 384), dtype=np.float32)

    def __init__(self, settings: Any) -> None:
        del settings

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def embed(self, texts: Any) -> np.ndarray:
        return self.vectors[[int(t.rsplit(" ", 1)[-1]) for t in texts]]


class SluiceService(Engine):
    path = ("SearchService.search_vectors(ctx, view, vectors, k=10) on a synced view "
            "(client.platform.search in local mode): a service method, not on the SDK Client")
    threads = "faiss.omp_set_num_threads (2 batch, 1 single)"
    VIEW = "passages_chunks"
    APPEND_ROWS = 10_000  # the most one append takes (max_append_rows)

    def build(self) -> None:
        from sluice.inference.embedders import EMBEDDERS
        from sluice.sdk.connect import connect

        _Precomputed.vectors = self.x
        EMBEDDERS.register(_Precomputed.name)(_Precomputed)
        self.home = tempfile.mkdtemp()
        self.client = cast(Any, connect(home=self.home, executor="thread"))
        for start in range(0, len(self.x), self.APPEND_ROWS):
            rows = [{"id": i, "text": f"passage {i}"}
                    for i in range(start, min(start + self.APPEND_ROWS, len(self.x)))]
            self.client.datasets.append("passages", rows, key_column="id")
        view = self.client.views.create(self.VIEW, "passages", column="text", chunk_size=64,
                                        chunk_overlap=0, embedder=_Precomputed.name,
                                        auto_sync=False)
        if view.chunks != len(self.x):
            raise RuntimeError(f"the view has {view.chunks} chunks, not {len(self.x)}")
        self.service, self.ctx = self.client.platform.search, self.client.ctx
        self.index = f"the view's VectorIndex ({view.index}), loaded from its blob"
        if view.index != "hnsw":
            self.notes.append(f"the view's index is {view.index!r} at {len(self.x)} vectors "
                              "(<= Sluice's EXACT_MAX), so this is not the HNSW path "
                              "measured for 'sluice' and efSearch does not apply")
        self.notes += ["build_s is the dataset append plus the view sync (Lance table, "
                       "full-text index, vector index) with precomputed embeddings; "
                       "memory_mb includes opening the workspace and the view's loaded "
                       "chunk table",
                       "the SDK Client has only text-in search (client.search embeds the "
                       "query); vector-in search exists only as SearchService.search_vectors",
                       "default efSearch only: the service offers no way to change it"]

    def sweep(self) -> list[Settings]:
        from sluice.core.search.vectors import EF_SEARCH

        return [{"ef_search": EF_SEARCH}]

    def is_default(self, settings: Settings) -> bool:
        return is_default_ef(settings)

    def batch(self, q: np.ndarray) -> Any:
        return self.service.search_vectors(self.ctx, self.VIEW, q, K)[0]

    def ids(self, result: Any) -> np.ndarray:
        out = np.full((len(result), K), -1, dtype=np.int64)
        for i, keys in enumerate(result):
            out[i, :len(keys)] = [int(k.split("#", 1)[0]) for k in keys]
        return out

    def close(self) -> None:
        self.client.close()
        shutil.rmtree(self.home, ignore_errors=True)


class _Faiss(Engine):
    faiss: Any  # the index, built by the subclass

    def batch(self, q: np.ndarray) -> Any:
        return self.faiss.search(q, K)[1]


class FaissHnsw(_Faiss):
    path = "faiss.IndexHNSWFlat.search(queries, 10)"
    threads = "faiss.omp_set_num_threads (2 batch, 1 single)"

    def build(self) -> None:
        self.faiss = hnsw_flat(self.x.shape[1])
        self.faiss.add(self.x)
        self.index = f"IndexHNSWFlat ({hnsw_params()}), float32, inner product"

    def sweep(self) -> list[Settings]:
        return ef_sweep(self.plan)

    def apply(self, settings: Settings) -> None:
        self.faiss.hnsw.efSearch = settings["ef_search"]


class FaissFlat(_Faiss):
    path = "faiss.IndexFlatIP.search(queries, 10) (exact)"
    index = "IndexFlatIP, float32"
    threads = "faiss.omp_set_num_threads and threadpoolctl (2 batch, 1 single)"

    def build(self) -> None:
        import faiss

        self.faiss = faiss.IndexFlatIP(self.x.shape[1])
        self.faiss.add(self.x)


class NumpyBrute(Engine):
    path = "q @ x.T, argpartition, argsort (exact)"
    index = "none: the float32 matrix"
    threads = "threadpoolctl on numpy's BLAS (2 batch, 1 single)"

    def batch(self, q: np.ndarray) -> Any:
        scores = q @ self.x.T
        top = np.argpartition(-scores, K, axis=1)[:, :K]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        return np.take_along_axis(top, order, axis=1)


class Chroma(Engine):
    path = ("chromadb Collection.query(query_embeddings=queries, n_results=10, include=[]) "
            "on a PersistentClient")
    threads = ("hnsw num_threads=2 in the collection configuration (Chroma 1.x does not "
               "echo it back); single queries are sent one at a time")
    NAME = "vectors"

    def build(self) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        from sluice.core.search.vectors import EF_CONSTRUCTION, HNSW_M

        self.folder = tempfile.mkdtemp()
        self.chroma = ChromaSettings(anonymized_telemetry=False)
        client = chromadb.PersistentClient(self.folder, settings=self.chroma)
        self.ef = self.sweep()[0]["ef_search"]
        hnsw = {"space": "cosine", "ef_construction": EF_CONSTRUCTION,
                "max_neighbors": HNSW_M, "ef_search": self.ef, "num_threads": THREADS}
        config: Any = {"hnsw": hnsw}
        self.col = client.create_collection(self.NAME, configuration=config,
                                            embedding_function=None)
        step = min(5000, client.get_max_batch_size())
        for i in range(0, len(self.x), step):
            self.col.add(ids=[str(j) for j in range(i, min(i + step, len(self.x)))],
                         embeddings=self.x[i:i + step])
        self.index = f"HNSW (hnswlib; M={HNSW_M}, ef_construction={EF_CONSTRUCTION}), cosine"
        self.notes.append("ef_search changed with collection.modify(configuration=...); the "
                          "running index ignores it until the client is reopened "
                          "(SharedSystemClient.clear_system_cache()), so each setting reopens "
                          "the persisted collection; built once")

    def sweep(self) -> list[Settings]:
        return ef_sweep(self.plan)

    def apply(self, settings: Settings) -> None:
        """Set ef_search and reopen the collection (for every setting, the first too, so
        each is searched the same way: loaded from disk)."""
        import chromadb
        from chromadb.api.client import SharedSystemClient  # type: ignore[attr-defined]

        if settings["ef_search"] != self.ef:
            self.col.modify(configuration={"hnsw": {"ef_search": settings["ef_search"]}})
        SharedSystemClient.clear_system_cache()
        client = chromadb.PersistentClient(self.folder, settings=self.chroma)
        self.col = client.get_collection(self.NAME, embedding_function=None)
        self.ef = settings["ef_search"]
        if (self.col.configuration.get("hnsw") or {}).get("ef_search") != self.ef:
            raise RuntimeError("chroma did not keep ef_search")

    def batch(self, q: np.ndarray) -> Any:
        return self.col.query(query_embeddings=q, n_results=K, include=[])

    def ids(self, result: Any) -> np.ndarray:
        return np.array([[int(i) for i in row] for row in result["ids"]])

    def close(self) -> None:
        from chromadb.api.client import SharedSystemClient  # type: ignore[attr-defined]

        SharedSystemClient.clear_system_cache()
        shutil.rmtree(self.folder, ignore_errors=True)


class Lance(Engine):
    path = ("lancedb Table.search(<2-D array of all queries>).limit(10) (batched; rows carry "
            "query_index); single: Table.search(<one vector>)")
    threads = "LANCE_CPU_THREADS=2 (set before import; the same pool serves single queries)"

    def build(self) -> None:
        import lancedb
        import pyarrow as pa
        from lancedb.index import HnswSq

        from sluice.core.search.vectors import EF_CONSTRUCTION, HNSW_M

        self.folder, self.nq = tempfile.mkdtemp(), 0
        self.settings: Settings = {}
        vectors = pa.FixedSizeListArray.from_arrays(pa.array(self.x.ravel()), self.x.shape[1])
        db = lancedb.connect(self.folder)
        self.table = db.create_table("vectors", pa.table({"id": np.arange(len(self.x)),
                                                          "vector": vectors}))
        self.table.create_index("vector", config=HnswSq(
            distance_type="cosine", m=HNSW_M, ef_construction=EF_CONSTRUCTION))
        self.partitions = self._partitions()
        self.index = (f"IVF_HNSW_SQ ({self.partitions} IVF partition(s), m={HNSW_M}, "
                      f"ef_construction={EF_CONSTRUCTION}, 8-bit SQ), cosine")
        if self.partitions == 1:
            self.notes.append("one IVF partition (LanceDB's default at this size), so nprobes "
                              "has no effect and is not swept")

    def _partitions(self) -> int | None:
        os.environ.setdefault("LANCE_INCLUDE_VECTOR_CENTROIDS", "false")
        try:
            stats = self.table.to_lance().stats.index_stats("vector_idx")
            return int(stats["indices"][0]["num_partitions"])
        except Exception:  # stats layout is not a stable API
            return None

    def sweep(self) -> list[Settings]:
        points = [dict(s) for s in self.plan.lance]
        if self.partitions != 1:
            points += [{"nprobes": n, "ef": 128} for n in LANCE_NPROBES]
        return points

    def _query(self, q: np.ndarray) -> Any:
        query = self.table.search(q).limit(K).select(["id", "_distance"])
        for name, value in self.settings.items():
            query = getattr(query, name)(value)  # .ef(n), .refine_factor(n), .nprobes(n)
        return query.to_arrow()

    def apply(self, settings: Settings) -> None:
        self.settings = settings

    def batch(self, q: np.ndarray) -> Any:
        self.nq = len(q)
        return self._query(q)

    def ids(self, result: Any) -> np.ndarray:
        out = np.full((self.nq, K), -1, dtype=np.int64)
        fill = np.zeros(len(out), dtype=int)
        for qi, row in zip(result.column("query_index").to_numpy(),
                           result.column("id").to_numpy(), strict=True):
            if fill[qi] < K:
                out[qi, fill[qi]] = row
                fill[qi] += 1
        return out

    def single(self, v: np.ndarray) -> Any:
        return self._query(v)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


CLASSES: dict[str, type[Engine]] = {
    "sluice": SluiceIndex, "sluice_service": SluiceService, "faiss_hnsw": FaissHnsw,
    "chroma": Chroma, "lancedb": Lance, "faiss_flat": FaissFlat,
    "numpy_brute_force": NumpyBrute}
# Imported before the memory baseline, so an engine's memory figure is not its imports.
PRELOAD = {"sluice": "sluice.core.search.vectors", "sluice_service": "sluice.sdk.connect",
           "chroma": "chromadb", "lancedb": "lancedb.index", "faiss_hnsw": "faiss",
           "faiss_flat": "faiss", "numpy_brute_force": "threadpoolctl"}


# -- one engine per process -----------------------------------------------------------------


def exact_top(x: np.ndarray, qv: np.ndarray) -> np.ndarray:
    scores = qv @ x.T
    top = np.argpartition(-scores, K, axis=1)[:, :K]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def child(name: str, out: Path) -> None:
    """Measure one engine (in its own process) and write its entry to ``out``."""
    p = plan()
    x = np.load(cached_path(f"passages-{p.n}.npy"))
    qv = np.load(cached_path(f"queries-{p.nq}.npy"))
    truth = exact_top(x, qv)
    try:
        __import__("faiss")
        __import__(PRELOAD[name])
    except ImportError:
        entry: dict[str, Any] = {"path": CLASSES[name].path, "error": "not installed"}
    else:
        print(f"{name}: building", flush=True)
        entry = run_engine(CLASSES[name](x, p), qv, truth)
    out.write_text(json.dumps(entry))


def measure_all(p: Plan) -> dict[str, Any]:
    engines: dict[str, Any] = {}
    env = {**os.environ, "LANCE_CPU_THREADS": str(THREADS),
           "LANCE_INCLUDE_VECTOR_CENTROIDS": "false"}
    with tempfile.TemporaryDirectory() as folder:
        for name in ENGINES:
            out = Path(folder) / f"{name}.json"
            cmd = [sys.executable, "-m", "bench.vectors", "--engine", name, "--out", str(out)]
            done = subprocess.run([*cmd, *(["--quick"] if quick() else [])], env=env,
                                  check=False)
            engines[name] = json.loads(out.read_text()) if out.exists() else \
                {"path": CLASSES[name].path, "error": f"failed (exit {done.returncode})"}
    return engines


# -- summary ----------------------------------------------------------------------------------


def qps(point: dict[str, Any]) -> float:
    return float(point["batch_qps"]["median"])


def best_at(entry: dict[str, Any], recall: float) -> dict[str, Any] | None:
    """The point with the most batch q/s among those reaching ``recall``."""
    ok = [pt for pt in entry.get("points", []) if pt["recall_at_10"] >= recall]
    return max(ok, key=qps) if ok else None


def top_recall(entry: dict[str, Any]) -> float | None:
    points = entry.get("points", [])
    return max(pt["recall_at_10"] for pt in points) if points else None


def best_row(entry: dict[str, Any]) -> dict[str, Any]:
    point = best_at(entry, RECALL_TARGET)
    if point is None:
        return {"batch_qps": None, "best_recall": top_recall(entry)}
    return {"batch_qps": qps(point), "recall_at_10": point["recall_at_10"],
            "settings": point["settings"], "single_p50_ms": point["single_p50_ms"],
            "best_recall": top_recall(entry)}


def ratio(engines: dict[str, Any], other: str) -> dict[str, Any]:
    """Sluice's best q/s over ``other``'s at the same recall: 0.95, or ``other``'s best
    recall where it never reaches 0.95."""
    theirs_top = top_recall(engines.get(other, {}))
    if theirs_top is None:
        return {"ratio": None, "at_recall": None}
    at = min(RECALL_TARGET, theirs_top)
    ours, theirs = best_at(engines["sluice"], at), best_at(engines[other], at)
    if ours is None or theirs is None:
        return {"ratio": None, "at_recall": at}
    return {"ratio": round(qps(ours) / qps(theirs), 2), "at_recall": at,
            "sluice_settings": ours["settings"], "other_settings": theirs["settings"]}


def goals(engines: dict[str, Any], ratios: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    mine = best_at(engines["sluice"], RECALL_TARGET)
    out["recall_at_10_0.95"] = {"met": mine is not None, "best": top_recall(engines["sluice"])}
    for other, target in GOALS.items():
        r = ratios.get(other, {}).get("ratio")
        out[f"vs_{other}"] = {"target": target, "ratio": r,
                              "at_recall": ratios.get(other, {}).get("at_recall"),
                              "met": None if r is None else r >= target}
    p50 = mine["single_p50_ms"] if mine else None
    out["single_p50_ms"] = {"target": SINGLE_P50_GOAL_MS, "p50_ms": p50,
                            "settings": mine["settings"] if mine else None,
                            "met": None if p50 is None else p50 < SINGLE_P50_GOAL_MS}
    return out


def service_overhead(engines: dict[str, Any]) -> dict[str, Any] | None:
    """The service path's q/s against the index layer's at the same settings."""
    service, index = engines.get("sluice_service"), engines.get("sluice")
    if not service or not index:
        return None
    point = service["points"][0]
    same = [pt for pt in index["points"] if pt["settings"] == point["settings"]]
    if not same:
        return None
    return {"settings": point["settings"], "index_qps": qps(same[0]),
            "service_qps": qps(point), "service_over_index": round(qps(point) / qps(same[0]), 3),
            "index_p50_ms": same[0]["single_p50_ms"], "service_p50_ms": point["single_p50_ms"],
            "comparable": "(hnsw)" in service["index"]}


def summary(engines: dict[str, Any]) -> dict[str, Any]:
    ok = {n: e for n, e in engines.items() if "points" in e}
    best = {n: best_row(e) for n, e in ok.items()}
    others = [n for n in ok if n not in ("sluice", "sluice_service")]
    ratios = {n: ratio(ok, n) for n in others} if "sluice" in ok else {}
    return {"recall_target": RECALL_TARGET, "best": best, "sluice_vs": ratios,
            "service_overhead": service_overhead(ok),
            "goals": goals(ok, ratios) if "sluice" in ok else {}}


def chart(engines: dict[str, Any]) -> None:
    curves = {n: [(pt["recall_at_10"], qps(pt)) for pt in e["points"]]
              for n, e in engines.items() if "points" in e}
    recall_qps_svg(curves, chart_path(), target_recall=RECALL_TARGET)
    print(f"wrote {chart_path().relative_to(ROOT)}", flush=True)


def chart_path() -> Path:
    return QUICK_CHART if quick() else CHART


def print_table(s: dict[str, Any]) -> None:
    print(f"\nbest batch q/s at recall@10 >= {RECALL_TARGET}:")
    for name, row in s["best"].items():
        vs = s["sluice_vs"].get(name, {})
        print(f"  {name:18} {row['batch_qps']!s:>10}  recall {row.get('recall_at_10')}  "
              f"best recall {row['best_recall']}  sluice/this {vs.get('ratio')} "
              f"(at {vs.get('at_recall')})")
    print("service path vs index layer:", json.dumps(s["service_overhead"]))
    print("goals:", json.dumps(s["goals"]), flush=True)


def main() -> None:
    if "--engine" in sys.argv:
        at = sys.argv.index
        child(sys.argv[at("--engine") + 1], Path(sys.argv[at("--out") + 1]))
        return
    p = plan()
    embedded("passages", passages(p.n))  # computed (and cached) before the engines start
    embedded("queries", queries(p.nq))
    engines = measure_all(p)
    result: dict[str, Any] = {"vectors": [p.n, 384], "queries": p.nq, "k": K,
              "threads": {"batch": THREADS, "single": 1},
              "timing": "batch_qps: median, min, max of 3 timed runs after a warm-up run "
                        "(bench.common.rate); each run passes the whole query set to the "
                        f"engine batch_passes times, so it lasts >= {MIN_RUN_S} s; single: "
                        "every query once, one at a time, p50 and p99 of those latencies",
              "memory": "RSS growth from before the build (the engine's modules already "
                        "imported) to after it and a warm-up search, each engine in its own "
                        "process",
              "recall": "recall@10 against exact inner-product top 10 (vectors are unit length)",
              "engines": engines, "summary": summary(engines),
              "chart": str(chart_path().relative_to(ROOT))}
    chart(engines)
    save("vectors", result, settings={
        "n": p.n, "queries": p.nq, "ef_sweep": list(p.ef), "lance_sweep": list(p.lance),
        "hnsw": hnsw_params(), "threads_batch": THREADS, "threads_single": 1})
    print_table(result["summary"])


if __name__ == "__main__":
    main()
