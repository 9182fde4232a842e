"""One renderer per generated block of ``docs/benchmarks.md``: result JSON in, Markdown out.

Renderers only format what the result files hold (medians with min-max, ratios, goals
met or missed); they never compute a figure the benchmark did not record, except ratios
of two recorded medians.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Result = dict[str, Any]


def num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def mm(spread: Result, digits: int = 1) -> str:
    """``median (min–max)`` of a spread dict; just the median when all runs agree."""
    med, lo, hi = (num(spread[k], digits) for k in ("median", "min", "max"))
    return med if lo == hi == med else f"{med} ({lo}–{hi})"


def ratio(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}×"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: int = 1) -> str:
    """A Markdown table; columns from ``right`` on are right-aligned."""
    align = ["---" if i < right else "---:" for i in range(len(header))]
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines) + "\n"


def goal(text: str, met: bool, detail: str = "") -> str:
    verdict = "**met**" if met else "**missed**"
    return f"- Goal: {text}: {verdict}{f' ({detail})' if detail else ''}.\n"


def sql(r: Result) -> str:
    names = {"group_by_season": "`GROUP BY season` with count/avg",
             "filtered_count": "filtered `count(*)`", "top_hours": "top-10 `ORDER BY cnt DESC`",
             "distinct_days": "`count(DISTINCT dteday)` (string)",
             "weather_by_hour": "`GROUP BY weathersit, hr`"}
    rows = [[names.get(k, k), mm(q["sluice"], 2), mm(q["duckdb_parquet"], 2),
             mm(q["duckdb_memory"], 2), ratio(q["ratio_vs_parquet"]), ratio(q["ratio_vs_memory"])]
            for k, q in r["queries"].items()]
    t = r["total_ms"]
    rows.append(["**total of medians**", f"**{num(t['sluice'])}**", num(t["duckdb_parquet"]),
                 num(t["duckdb_memory"]), f"**{ratio(t['ratio_vs_parquet'])}**",
                 f"**{ratio(t['ratio_vs_memory'])}**"])
    cold, cli = r["cold"], r["cli"]
    out = table(["query (warm)", "Sluice ms", "DuckDB on Parquet ms", "DuckDB in memory ms",
                 "Sluice ÷ Parquet", "Sluice ÷ in memory"], rows)
    out += "\n" + table(["cold and whole-process", "Sluice", "DuckDB", "ratio"], [
        ["first query in a fresh client / connection, ms", mm(cold["sluice"]),
         mm(cold["duckdb_parquet"]), ratio(cold["ratio"])],
        ["`sluice sql` process vs `python -c 'import duckdb ...'`, s",
         mm(cli["sluice_sql_process_s"], 2), mm(cli["python_duckdb_process_s"], 2),
         ratio(cli["sluice_sql_process_s"]["median"]
               / cli["python_duckdb_process_s"]["median"])],
    ])
    out += (f"\n{r['rows']:,} rows; DuckDB threads {r['meta']['settings']['duckdb_threads']} "
            f"on every side; medians of {r['meta']['settings']['runs']} runs (min–max). "
            f"Copying the version into Sluice's DuckDB cache (a fresh client's first two "
            f"queries): {mm(r['cache_copy_ms'], 0)} ms.\n\n")
    g = r["goal"]
    out += goal(f"total at most {g['total_vs_parquet_at_most']}× DuckDB on Parquet (warm)",
                g["met"], ratio(t["ratio_vs_parquet"]))
    return out


def ingest(r: Result) -> str:
    keys = ["mixed_without_outlier", "mixed_with_outlier", "rust_book_markdown"]
    rows = []
    for key in (k for k in keys if k in r):
        c = r[key]
        runs = len(c["markitdown_s"]["runs"])
        anchor = mm(c["markitdown_s"], 2) + (" (timed once)" if runs == 1 else "")
        rows.append([c["corpus"], f"{c['files']:,}", num(c["mb"]), mm(c["sluice_s"], 2),
                     num(c["files"] / c["sluice_s"]["median"]), anchor,
                     f"**{ratio(c['speedup'])}**"])
    workers = r["meta"]["settings"]["parse_workers"]
    return table(["corpus", "files", "MB", "Sluice s", "docs/s",
                  f"markitdown, {workers} processes, s", "speed-up"], rows, right=1) + (
        f"\nBoth sides use {workers} processes. Files stored as error rows by Sluice / "
        "raising in markitdown: " + ", ".join(
            f"{r[k]['sluice_errors']} / {r[k]['markitdown_errors']} ({r[k]['corpus']})"
            for k in keys if k in r) + ".\n")


def ingest_quality(r: Result) -> str:
    rows = [[ext, str(q["files"]), f"{q['reference_chars']:,}", num(100 * q["sluice_share"]),
             num(100 * q["markitdown_share"])] for ext, q in r["text_quality"].items()]
    return table(["format", "files", "reference characters", "Sluice recovered %",
                  "markitdown recovered %"], rows)


def ingest_incremental(r: Result) -> str:
    inc = r["incremental_1_percent"]
    share = num(100 * inc["incremental_fraction_of_full"])
    out = table(["files", "changed", "full ingest s", "1% changed s", "unchanged s",
                 "incremental ÷ full"], [[f"{inc['files']:,}", str(inc["changed_files"]),
                                          num(inc["full_s"], 2), num(inc["incremental_s"], 2),
                                          num(inc["unchanged_s"], 2), f"**{share}%**"]])
    return out + "\n" + goal(f"incremental at most {num(100 * inc['goal']['at_most'], 0)}% of "
                             "the full ingest", inc["goal"]["met"])


def retrieval(r: Result) -> str:
    labels = {"text": "Sluice text (BM25, Lance inverted index)",
              "vector": "Sluice vector (MiniLM, exact index)", "hybrid": "Sluice hybrid (RRF)"}
    rows = [[labels.get(mode, mode), num(s["ndcg_at_10"], 4), num(s["recall_at_100"], 4),
             num(s["mrr"], 4), num(s["mean_ms"])] for mode, s in r["sluice"].items()]
    a = r["anchor_st_float32_exact"]
    rows.append(["anchor: sentence-transformers float32, exact", num(a["ndcg_at_10"], 4),
                 num(a["recall_at_100"], 4), num(a["mrr"], 4), "—"])
    out = table(["method", "nDCG@10", "recall@100", "MRR", "ms/query"], rows)
    gain = r["hybrid_vs_best_single_ndcg"]
    out += (f"\n{r['queries']} queries. Whole Sluice run from BEIR files to scores: "
            f"{num(r['sluice_seconds_total'])} s (timed once); the anchor spent "
            f"{num(a['seconds'])} s embedding in float32 and searching. Sluice vector ÷ "
            f"anchor nDCG@10: {num(r['vector_vs_anchor_ndcg'], 4)}.\n\n")
    return out + goal("hybrid at least as good as the best single method (nDCG@10)",
                      gain >= 1.0, f"{ratio(gain, 3)} the best single method")


def request_path(r: Result) -> str:
    rows = []
    for case, c in r["cases"].items():
        ours, theirs = c["sluice GET /api/v1/whoami"], c["trivial FastAPI GET"]
        rows.append([case.lstrip("c"), mm(ours["rps"], 0), mm(theirs["rps"], 0),
                     f"**{num(c['ratio'], 2)}**",
                     f"{num(ours['p50_ms'], 2)} / {num(theirs['p50_ms'], 2)}"])
    out = table(["concurrency", "Sluice requests/s", "trivial app requests/s", "ratio",
                 "p50 ms, Sluice / trivial"], rows)
    worst = min(c["ratio"] for c in r["cases"].values())
    return out + "\n" + goal("at least 0.5 of the trivial app's requests/s at concurrency 8 "
                             "and 1", worst >= 0.5, f"lowest {num(worst, 2)}")


def labeling_imbalanced(r: Result) -> str:
    rows, met = [], True
    for c in r["cases"]:
        res = c["results"]
        ours, mv = res["sluice with people's labels"], res["majority vote"]
        snorkel = res["snorkel with people's class balance"]
        met = met and ours["median"] >= max(mv["median"], snorkel["median"])
        rows.append([f"{round(100 * c['spam_share'])}% spam, {c['people']} rows labeled",
                     f"**{mm(ours, 3)}**", num(res["sluice unsupervised"]["median"], 3),
                     num(mv["median"], 3), mm(snorkel, 3),
                     f"{num(res['sluice fit seconds']['median'], 2)} s"])
    out = table(["set", "Sluice with people's labels", "Sluice unsupervised",
                 "majority vote", "Snorkel with people's class balance", "Sluice fit"], rows)
    return out + "\n" + goal("at least as accurate as majority vote and Snorkel given the "
                             "same information, in every case", met)


METHODS = ("sluice", "majority vote", "snorkel")


def labeling(r: Result) -> str:
    loo = r["leave_one_file_out"]
    rows = [["test file (Youtube05)", *(num(r["test_accuracy"][m], 3) for m in METHODS)],
            ["leave-one-file-out, mean of 5", *(num(loo[m]["mean"], 3) for m in METHODS)],
            ["leave-one-file-out, per file",
             *(" / ".join(num(v, 3) for v in loo[m]["per_file"]) for m in METHODS)],
            ["fit time, s", num(r["fit_seconds"]["sluice"], 2), "—",
             num(r["fit_seconds"]["snorkel"], 2)]]
    out = table(["label accuracy", "Sluice label model", "majority vote",
                 "Snorkel `LabelModel`"], rows)
    met = r["test_accuracy"]["sluice"] >= max(r["test_accuracy"][m] for m in METHODS[1:]) \
        and all(loo["sluice"]["per_file"][i] >= max(loo[m]["per_file"][i] for m in METHODS[1:])
                for i in range(len(loo["sluice"]["per_file"])))
    return out + f"\n{len(r['functions'])} functions; {r['train_rows']:,} development rows, " \
        f"{r['test_rows']} test rows.\n\n" + goal(
            "label model at least majority vote and Snorkel, on the test file and on every "
            "leave-one-file-out split", met)


def labeling_classifier(r: Result) -> str:
    c = r["classifier_test_accuracy"]
    kinds = list(c)
    rows = [[name, *(num(c[k][name], 3) for k in kinds)] for name in c[kinds[0]]]
    best = max(c[k]["sluice: hard labels"] for k in kinds)
    return table(["classifier trained on", *kinds], rows) + "\n" + goal(
        "classifier on Sluice's labels at least 0.92 on the test file", best >= 0.92,
        f"best {num(best, 3)}")


def labeling_agnews(r: Result) -> str:
    rows = [[f"rows some function votes on ({num(100 * r['coverage'])}%)",
             *(num(r["accuracy_covered_rows"][m], 3) for m in METHODS)]]
    if "accuracy_uncovered_rows" in r:
        rows.append(["rows no function votes on (a guess among four)",
                     *(num(r["accuracy_uncovered_rows"][m], 3) for m in METHODS)])
    rows += [["all rows", *(num(r["accuracy_all_rows"][m], 3) for m in METHODS)],
             ["fit time, s", num(r["fit_seconds"]["sluice"], 2), "—",
              num(r["fit_seconds"]["snorkel"], 2)]]
    acc = r["accuracy_covered_rows"]
    return table(["accuracy", "Sluice label model", "majority vote", "Snorkel `LabelModel`"],
                 rows) + f"\n{r['rows']:,} rows, {r['functions']} keyword functions.\n\n" + goal(
        "label model at least majority vote and Snorkel where the functions vote",
        acc["sluice"] >= max(acc["majority vote"], acc["snorkel"]))


def active(r: Result) -> str:
    names = {"random": "random order", "uncertainty": "uncertainty", "margin": "margin",
             "entropy": "entropy", "diversity": "diversity (k-means over the most uncertain)"}
    rows = [[names.get(k, k), f"{num(v['mean'])} ({min(v['per_seed'])}–{max(v['per_seed'])})",
             num(r["share_of_random"][k], 2)] for k, v in r["labels_needed"].items()]
    best = min(v for k, v in r["share_of_random"].items() if k != "random")
    return table(["strategy", "labels needed, mean (min–max)", "÷ random"], rows) + (
        f"\nPool {r['pool']:,} comments, test {r['test']}; target accuracy "
        f"{num(r['target_accuracy'], 3)} (95% of {num(r['full_training_accuracy'], 3)}, "
        f"trained on the whole pool); batches of {r['batch']}, "
        f"{len(next(iter(r['labels_needed'].values()))['per_seed'])} seeds.\n\n") + goal(
        "a strategy needs at most half of random order's labels", best <= 0.5,
        f"{num(best, 2)}× random")


ENGINES = {"sluice": "**Sluice** index (`VectorIndex`)", "sluice_service": "**Sluice** service",
           "faiss_hnsw": "FAISS HNSW", "chroma": "Chroma", "lancedb": "LanceDB (batched)",
           "faiss_flat": "FAISS flat (exact)", "numpy_brute_force": "numpy brute force"}


def _setting(settings: Result) -> str:
    return ", ".join(f"{k} {v}" for k, v in settings.items()) or "—"


def vectors(r: Result) -> str:
    summary, engines = r["summary"], r["engines"]
    rows = []
    for name, best in summary["best"].items():
        e = engines[name]
        if best["batch_qps"] is None:
            rows.append([ENGINES.get(name, name), "never reaches the target",
                         f"best {num(best['best_recall'], 3)}", "—", "—", "—", "—",
                         num(e["build_s"], 1), str(e["memory_mb"])])
            continue
        point = next(p for p in e["points"] if p["settings"] == best["settings"])
        vs = summary["sluice_vs"].get(name)
        rows.append([ENGINES.get(name, name), _setting(best["settings"]),
                     num(best["recall_at_10"], 3), mm(point["batch_qps"], 0),
                     ratio(vs["ratio"]) if vs else "—", num(point["single_p50_ms"], 3),
                     num(point["single_p99_ms"], 2), num(e["build_s"], 1), str(e["memory_mb"])])
    target = summary["recall_target"]
    out = table(["engine", f"fastest setting at recall@10 ≥ {target}", "recall@10",
                 "batch q/s", "Sluice index ÷ this", "p50 ms (1 thread)", "p99 ms",
                 "build s", "memory MB"], rows)
    over = summary["service_overhead"]
    out += (f"\nSluice at its default ({_setting(over['settings'])}): index "
            f"{num(over['index_qps'], 0)} q/s, p50 {num(over['index_p50_ms'], 3)} ms; service "
            f"(`search_vectors`, hits with their rows) {num(over['service_qps'], 0)} q/s, p50 "
            f"{num(over['service_p50_ms'], 3)} ms.\n\n")
    g = summary["goals"]
    out += goal(f"recall@10 ≥ {target}", g[f"recall_at_10_{target}"]["met"])
    for key, label in (("vs_chroma", "Chroma"), ("vs_lancedb", "LanceDB"),
                       ("vs_faiss_hnsw", "raw FAISS HNSW")):
        out += goal(f"≥ {num(g[key]['target'], 1)}× {label}'s q/s at equal recall", g[key]["met"],
                    ratio(g[key]["ratio"]))
    p50 = g["single_p50_ms"]
    out += goal(f"single-query p50 under {p50['target']} ms", p50["met"],
                f"{num(p50['p50_ms'], 3)} ms")
    sweep = [[ENGINES.get(name, name), _setting(p["settings"]) + (" (default)" if p.get("default")
                                                                  and p["settings"] else ""),
              num(p["recall_at_10"], 3), mm(p["batch_qps"], 0), num(p["single_p50_ms"], 3)]
             for name, e in engines.items() for p in e.get("points", [])]
    return out + "\n<details><summary>Every setting measured</summary>\n\n" + table(
        ["engine", "setting", "recall@10", "batch q/s", "p50 ms"], sweep) + "\n</details>\n"


def vectors_curve(r: Result) -> str:
    chart = r["chart"].removeprefix("docs/")
    return f"![Recall@10 against batch queries/s, every engine and setting]({chart})\n"


TRACKING_ROWS = {
    "runs_per_s": ("runs/s (create, 5 params, end)", 1, True),
    "log_metric_per_s": ("`log_metric` calls/s", 1, True),
    "log_batch_metrics_per_s": ("`log_batch` metrics/s (1,000 per call)", 0, True),
    "get_run_p50_ms": ("`get_run` p50 ms", 1, False),
    "get_metric_history_p50_ms": ("`get_metric_history` p50 ms", 0, False),
    "search_runs_p50_ms": ("`search_runs` p50 ms", 0, False),
    "server_start_s": ("server start until healthy, s", 1, False),
    "loop_fastest_metrics_per_s": ("training loop, each tool's fastest logging, metrics/s", 0,
                                   True),
    "loop_batched_metrics_per_s": ("training loop, batched against batched, metrics/s", 0,
                                   True),
}


def _cell(value: Any, digits: int) -> str:
    return mm(value, digits) if isinstance(value, dict) else num(value, digits)


def tracking(r: Result) -> str:
    sv, w1, wd = r["servers"], r["ratios"]["vs_mlflow_w1"], r["ratios"]["vs_mlflow_default"]
    rows = [[label, f"**{_cell(sv['sluice'][key], d)}**", _cell(sv["mlflow_w1"][key], d),
             _cell(sv["mlflow_default"][key], d), ratio(w1[key], 1), ratio(wd[key], 1)]
            for key, (label, d, _) in TRACKING_ROWS.items() if key in sv["sluice"]]
    workers = r["meta"]["settings"]["mlflow_servers"]
    out = table(["measurement", "Sluice", "`mlflow server --workers 1`",
                 f"`mlflow server` default ({workers['mlflow_default']['processes']} "
                 "processes)", "Sluice ÷ workers 1", "Sluice ÷ default"], rows)
    st = r["meta"]["settings"]
    out += (f"\nSizes: {st['runs']} runs, {st['log_metric_calls']} `log_metric` calls, "
            f"{st['log_batch_metrics']:,} batched metrics per repetition ({st['repeat']} "
            f"repetitions); `search_runs` over {st['search_runs']:,} runs; loops of "
            f"{st['loop_steps']:,} steps. Ratios are of medians; for times, the other tool's "
            "time over Sluice's.\n\n")
    worst = {key: min(w1[key], wd[key]) for key in w1}
    per_call = min(worst["runs_per_s"], worst["log_metric_per_s"])
    out += goal("≥ 5× the faster `mlflow server` setting on the per-call operations",
                per_call >= 5, ratio(per_call, 1))
    rest = min(worst[k] for k in ("log_batch_metrics_per_s", "get_run_p50_ms",
                                  "get_metric_history_p50_ms", "search_runs_p50_ms"))
    return out + goal("≥ 2× the faster setting on batch logging and the reads", rest >= 2,
                      f"lowest {ratio(rest, 1)}")


def tracking_loop(r: Result) -> str:
    c = r["ceiling"]
    rows = [[TRACKING_ROWS[key][0], num(c[key]["null"]), num(c[key]["sluice"]),
             f"**{num(c[key]['fraction_of_ceiling'], 2)}** "
             f"({num(c[key]['fraction_per_repetition']['min'], 2)}–"
             f"{num(c[key]['fraction_per_repetition']['max'], 2)})",
             num(c[key]["mlflow_w1_fraction"], 2), num(c[key]["mlflow_default_fraction"], 2)]
            for key in ("runs_per_s", "log_metric_per_s")]
    out = table(["mlflow client operation", "do-nothing server", "Sluice",
                 "Sluice ÷ do-nothing", "`--workers 1` ÷ do-nothing",
                 "default ÷ do-nothing"], rows)
    fraction = round(100 * c["goal_fraction"])
    for key in ("runs_per_s", "log_metric_per_s"):
        out += "\n" if key == "runs_per_s" else ""
        out += goal(f"{TRACKING_ROWS[key][0]} at ≥ {fraction}% of the do-nothing server",
                    c[key]["goal_met"], num(c[key]["fraction_of_ceiling"], 2))
    return out


def embedding(r: Result) -> str:
    n, fp32 = r["chunks"], r["st_float32_s"]
    rows = [["sentence-transformers float32, torch's default threads (anchor)", mm(fp32, 1),
             num(n / fp32["median"]), "1.00×", ""]]
    for t, raw in r["raw_bf16_s"].items():
        rows.append([f"raw model bfloat16, {t} thread{'s' if t != '1' else ''}", mm(raw, 1),
                     num(n / raw["median"]), ratio(fp32["median"] / raw["median"]), ""])
    for t, run in r["sluice"].items():
        rows.append([f"**Sluice view build, {t} thread{'s' if t != '1' else ''}**",
                     mm(run["build_s"], 1), num(run["chunks_per_s"]),
                     f"**{ratio(run['speedup_vs_st_float32'])}**",
                     f"{100 * run['overhead_vs_raw_bf16_same_threads']:+.1f}%"])
    out = table(["", "seconds", "chunks/s", "vs ST float32", "over raw bf16, same threads"],
                rows)
    inc = r["sluice"]["1"]
    cos = r["bf16_cosine_to_float32"]
    out += (f"\n{r['files']} chapters, {n:,} chunks. Re-sync after {inc['documents_changed']} "
            f"chapter changed: {mm(inc['incremental_s'], 2)} s, "
            f"{num(100 * inc['incremental_vs_full'], 1)}% of the full build (1 thread). "
            f"bfloat16 against float32: cosine min {cos['min']}, mean {cos['mean']}.\n\n")
    g = r["goals"]
    best = max(run["speedup_vs_st_float32"] for run in r["sluice"].values())
    worst = max(run["overhead_vs_raw_bf16_same_threads"] for run in r["sluice"].values())
    return out + goal("≥ 2.5× sentence-transformers float32",
                      g["speedup_vs_st_float32_at_least_2_5"], f"best {ratio(best)}") + goal(
        "≤ 15% over the raw model at the same precision and threads",
        g["overhead_at_most_15pct"], f"worst {100 * worst:+.1f}%") + goal(
        "re-sync after 1% changed ≤ 5% of a full build", g["incremental_at_most_5pct"])


VARIANTS = {
    "st_float32": "sentence-transformers float32 (anchor)",
    "torch_bfloat16": "torch bfloat16 (what Sluice runs)",
    "torch_int8_dynamic": "torch dynamic int8 (`quantize_dynamic`, Linear layers)",
    "torch_compile_bfloat16": "`torch.compile` on bfloat16",
    "ort_float32": "ONNX Runtime float32",
    "ort_int8": "ONNX Runtime dynamic int8, per channel, all MatMuls",
    "ort_int8_ffn_out_float32": "ONNX Runtime dynamic int8, feed-forward outputs kept float32",
}


def embedding_variants(r: Result) -> str:
    rows = []
    for name, v in r["variants"].items():
        label = VARIANTS.get(name, name)
        if "error" in v:
            rows.append([label, "", "", "", "", f"could not run: {v['error'][:80]}"])
            continue
        cos = v.get("cosine_to_float32", {"min": 1.0, "mean": 1.0})
        rows.append([label, num(v["passages_per_s"]), ratio(v["speedup_vs_st_float32"]),
                     f"{cos['min']:.4f} / {cos['mean']:.4f}", num(v.get("ndcg_at_10"), 4),
                     "yes" if v["holds_fidelity"] else "**no**"])
    out = table(["variant (1 thread)", "passages/s", "vs ST float32", "cosine min / mean",
                 "nDCG@10", "holds fidelity"], rows)
    best = r["variants"][r["fastest_holding_fidelity"]]
    out += (f"\nFastest that holds fidelity: {VARIANTS.get(r['fastest_holding_fidelity'])} "
            f"({ratio(best['speedup_vs_st_float32'])}).\n\n")
    return out + goal("a way to run the model alone ≥ 2.5× sentence-transformers float32 at "
                      "the same thread, fidelity held (not the view-build goal above)",
                      r["goal_2_5x_met"])


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def ask_qa(r: Result) -> str:
    res = r["results"]
    names = {"both": "Sluice default: extract, then generated answer",
             "extract": "Sluice extract only (no model)",
             "anchor": "transformers `generate`, same passages, prompt, model"}
    rows = []
    for key, label in names.items():
        x = res[key]
        generated = {"anchor": x["contains"], "extract": None}.get(key,
                                                                  x.get("answer_contains"))
        rows.append([label, str(x["items"]), _pct(x.get("cited_rate")),
                     _pct(x.get("contains")), _pct(generated),
                     _pct(x.get("extract_contains")),
                     _pct(None if key == "extract" else x.get("looped")),
                     str(x.get("shown_loops", "—")), _pct(x.get("cut")),
                     f"{num(x['first_ms_median'] / 1000, 2)} s"])
    out = table(["setup (SmolLM2-135M)", "questions", "gold source cited",
                 "fact shown", "fact in generated answer", "fact in extract",
                 "generations looping", "loops left shown", "cut", "first words (median)"],
                rows)
    tuning = table(["repetition penalty", "fact in answer", "generations looping", "cut"],
                   [[num(t["penalty"], 2) + (" (chosen)" if t["penalty"] == r["tuned_penalty"]
                                             else ""),
                     _pct(t.get("answer_contains")), _pct(t.get("looped")),
                     _pct(t.get("cut"))] for t in r["tuning"]])
    both = res["both"]
    goals = (goal("no looping answer shown", both.get("shown_loops") == 0,
                  f"{both.get('shown_loops')} of {both['items']}")
             + goal("gold source among the citations in at least 90%",
                    (both.get("cited_rate") or 0) >= 0.9, _pct(both.get("cited_rate")))
             + goal("the gold fact in the answer shown in at least 60%",
                    (both.get("contains") or 0) >= 0.6, _pct(both.get("contains")))
             + goal("first words in under 2 s", both["first_ms_median"] < 2000,
                    f"median {num(both['first_ms_median'] / 1000, 2)} s"))
    return (out + "\nTuning (the 16 tuning questions, generation only):\n\n" + tuning
            + "\n" + goals)


AUTOML_TOOLS = {"sluice": "**Sluice** (search + refit)", "flaml": "FLAML `AutoML`",
                "lightgbm_default": "LightGBM defaults"}
AUTOML_DATA = {"adult": "Adult (income > 50K)", "bike_sharing": "Bike sharing (hourly `cnt`)",
               "ag_news": "AG News (topic of title + description)"}
AUTOML_METRICS = {"roc_auc": "ROC AUC", "accuracy": "accuracy", "rmse": "RMSE"}


def automl(r: Result) -> str:
    rows = []
    for name, d in r["datasets"].items():
        metric = AUTOML_METRICS.get(d["metric"], d["metric"])
        digits = 1 if d["metric"] == "rmse" else 4
        for key, label in AUTOML_TOOLS.items():
            t = d["tools"][key]
            best = sorted(set(t["best"]))
            embed = f"; embedding {num(t['embed_s']['median'], 0)} s" \
                if t.get("embed_s") and t["embed_s"]["median"] else ""
            rows.append([AUTOML_DATA.get(name, name) if key == "sluice" else "", label,
                         f"{metric} {mm(t['metric'], digits)}", mm(t["wall_s"], 1) + embed,
                         num(t["trials"]["median"], 0), ", ".join(best)])
    out = table(["dataset", "tool", "test metric, median (min–max)", "seconds, fit + predict",
                 "trials", "best model"], rows, right=2)
    threads = r["meta"]["settings"].get("threads", "")
    seeds = "seed 0" if r["repeats"] == 1 else f"search seeds 0–{r['repeats'] - 1}"
    out += (f"\nBudget {num(r['budget_s'], 0)} s per search, {r['repeats']} run(s) ({seeds}) "
            "on one 80/20 split (seed 0, stratified for classes); "
            f"threads: {threads}. Inputs: Sluice reads the table as it is (text embedded "
            "with the bundled MiniLM, in its seconds); FLAML and LightGBM read it as it is, "
            "text as TF-IDF (20,000 words, in their seconds).\n\n")
    for name, d in r["datasets"].items():
        ratios, goals = d["ratios"], d["goals"]
        label = AUTOML_DATA.get(name, name).split(" (")[0]
        out += goal(f"{label}: Sluice at least FLAML's test metric",
                    goals["sluice_at_least_flaml"], ratio(ratios["metric_vs_flaml"], 3))
        out += goal(f"{label}: Sluice above LightGBM's defaults",
                    goals["sluice_above_lightgbm_default"],
                    ratio(ratios["metric_vs_lightgbm_default"], 3))
    return out


LORA_SIDES = {"sluice": "**Sluice** `client.finetune` (the job's loop)",
              "peft": "plain PEFT loop (`get_peft_model` + AdamW)"}
LORA_GENERATION = {"base": "base model (SmolLM2-135M)", "unmerged": "base + adapter, unmerged",
                   "merged": "adapter merged (`merge_and_unload()`)"}


def lora(r: Result) -> str:
    training = r["training"]
    rows = [[label, mm(training[key]["tokens_per_second"], 1),
             mm(training[key]["seconds"], 2), f"{training[key]['tokens']:,}"]
            for key, label in LORA_SIDES.items()]
    out = table(["training", "tokens/s, median (min–max)", "seconds in the loop", "tokens"],
                rows)
    gen = r["generation"]
    out += "\n" + table(["generation (greedy)", "tokens/s, median (min–max)", "vs base"],
                        [[label, mm(gen["tokens_per_second"][key], 1),
                          "—" if key == "base" else ratio(gen["ratios"][f"{key}_vs_base"])]
                         for key, label in LORA_GENERATION.items()])
    threads = ", ".join(str(t) for t in r["threads"])
    settings = r["meta"]["settings"]
    modules = "/".join(m.removesuffix("_proj") for m in settings["target_modules"])
    same = "the same tokens on both sides" if r.get("same_tokens") else \
        "**the two sides counted different tokens**"
    out += (f"\n{r['steps']} steps of batch {r['batch_size']} (max_length "
            f"{r['max_length']}), LoRA rank {settings['rank']} on {modules}, {r['pairs']} "
            f"Cranfield query → abstract pairs, "
            f"{r['device']}, {threads} torch thread(s) (generation {r['generation_threads']}), "
            f"{r['repeats']} run(s) per side, each "
            f"a fresh process; {same}. Generation: {gen['prompts']} unseen prompts × "
            f"{gen['new_tokens_per_pass'] // max(gen['prompts'], 1)} new tokens, the adapter "
            f"from the plain loop's first run; the merged model's text equals the unmerged "
            f"one's for {gen['merged_same_text_as_unmerged']} of {gen['prompts']}.\n\n")
    return out + goal("Sluice at least 90% of the plain PEFT loop's training tokens/s",
                      r["goals"]["sluice_at_least_90pct_of_peft"],
                      ratio(r["ratios"]["sluice_vs_peft"], 3))


EXECUTOR_MODES = {"inline": "inline (default): one trial at a time, LightGBM on every core",
                  "processes": "`SLUICE_TRAIN_TRIALS=processes`: a trial per core",
                  "ray": "`SLUICE_EXECUTOR=ray`: a Ray task per core"}


def executors(r: Result) -> str:
    rows = []
    for key, label in EXECUTOR_MODES.items():
        m = r["modes"][key]
        rows.append([label, mm(m["trials_per_minute"], 1),
                     "—" if key == "inline" else ratio(r["ratios_vs_inline"][key]),
                     mm(m["roc_auc"], 4), mm(m["start_s"], 1)])
    out = table(["where the trials run", "trials/min, median (min–max)", "vs inline",
                 "test ROC AUC", "start-up s (outside the budget)"], rows)
    return out + (f"\nAdult, the same 80/20 split as `bench/automl.py`, each trial 3-fold "
                  "cross-validated, "
                  f"{num(r['budget_s'], 0)} s budget, {r['repeats']} run(s) (search seeds "
                  f"0–{r['repeats'] - 1}), {r['cores']} cores, each run a fresh process. "
                  "Trials per minute counts every trial started (complete, pruned, cut or "
                  "failed) over the search's seconds; inline trials are pruned fold by "
                  "fold, parallel ones run whole.\n")


def distill(r: Result) -> str:
    students, t = r["students"], r["teacher"]
    rows = [["**student on the label model's `weak_spam`** (confidence as weight)",
             mm(students["weak"]["accuracy"], 4), f"{students['weak']['rows']:,}"],
            ["student on people's labels", mm(students["people"]["accuracy"], 4),
             f"{students['people']['rows']:,}"],
            ["the teacher itself (label model), where it votes",
             num(t["accuracy_where_voted"], 4) + f" (covers {t['coverage']:.0%})", "—"]]
    out = table(["classifier", "held-out accuracy, median (min–max)", "training rows"], rows)
    return out + (f"\nTrain on {r['train_files']}, check on {r['test_file']} "
                  f"({t['held_out_rows']} comments, people's labels, never trained on); "
                  f"both students are `client.train` jobs on the comment text (MiniLM "
                  f"embeddings), {num(r['budget_s'], 0)} s budget, {r['repeats']} seed(s). "
                  f"Weak over people: {ratio(r['ratio_weak_to_people'], 3)}.\n")


RENDERERS: dict[str, Callable[[Result], str]] = {
    "automl": automl,
    "executors": executors,
    "distill": distill,
    "lora": lora,
    "ask_qa": ask_qa,
    "embedding": embedding, "embedding_variants": embedding_variants,
    "tracking": tracking, "tracking_loop": tracking_loop,
    "vectors": vectors, "vectors_curve": vectors_curve,
    "labeling": labeling, "labeling_classifier": labeling_classifier,
    "labeling_agnews": labeling_agnews, "active": active,
    "sql": sql, "ingest": ingest, "ingest_quality": ingest_quality,
    "ingest_incremental": ingest_incremental, "retrieval": retrieval,
    "request_path": request_path, "labeling_imbalanced": labeling_imbalanced,
}
