"""LoRA fine-tuning: training tokens per second of Sluice's fine-tuning job against the
plain PEFT loop a user would write, and generation tokens per second before and after
merging the adapter.

Data: prompt/response pairs of the Cranfield collection (``../shared/data/cranfield/beir``):
each query's text is the prompt, and the first 40 words of its most relevant abstract (the
highest qrels grade, the first listed on a tie; the title the BEIR text repeats is left
out) the response. 225 pairs.

- ``sluice``: the user path. ``sluice.connect()`` on a fresh ``SLUICE_HOME``,
  ``client.datasets.append("pairs", ...)``, then ``client.finetune("pairs", steps=,
  batch_size=, max_length=, rank=16, alpha=32, target_modules=[q,k,v,o]_proj,
  eval_fraction=0.0, eval_answers=0)``; the figure is ``result.tokens_per_second``, which
  Sluice measures around its training loop, the job's per-step work included (cancel
  checks, progress writes, buffered loss writes to the run), while the SDK polls the job.
- ``peft``: the anchor. The same base weights (the bundled SmolLM2-135M, de-quantised
  folder), the same tokenization and batches (Sluice's ``encode`` and ``batches``, the
  pairs in the order Sluice's job shuffles them with seed 0), ``get_peft_model(model,
  LoraConfig(r=16, lora_alpha=32, target_modules=[q,k,v,o]_proj, lora_dropout=0.0,
  task_type="CAUSAL_LM"))``, ``torch.optim.AdamW(lr=2e-4)`` on the trainable parameters,
  the same number of steps; only the loop is timed, tokens are the sum of
  ``attention_mask`` as Sluice counts them.
- ``generate``: the adapter the anchor trained in its first run, loaded three ways: the
  base model alone, the ``PeftModel`` with the adapter unmerged, and after
  ``merge_and_unload()``; each greedily generates 64 new tokens (``min_new_tokens=64``, so
  every answer is as long) for 5 prompts the training runs did not see; the three
  alternate within each pass, after one untimed warm-up generation each.

Each run is its own Python process (imports and loading the model are not timed); Sluice
and the anchor alternate within each repeat, Sluice first. Threads: the anchor trains with
the torch thread count Sluice's job ran with (read in Sluice's first run); the generation
uses what Sluice's own generation sets (``configure_torch(settings.torch_threads)``, half
the cores by default); ``--threads N`` sets N in every process (``SLUICE_TORCH_THREADS``
too). On a small shared machine the count matters more than anything measured here (two
threads on two busy cores can be several times slower than one), so run it on a quiet
machine. Goal: Sluice at least 90% of the plain PEFT loop's tokens per second.

    python -m bench.lora [--quick] [--steps 30] [--batch 4] [--length 256] [--repeats 3]
                         [--threads N] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import warnings
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.common import ROOT, quick, save, shared, spread

STEPS = 30
QUICK_STEPS = 5
BATCH = 4
LENGTH = 256
REPEATS = 3
RANK = 16
ALPHA = 32
LEARNING_RATE = 2e-4
MODULES = ("q_proj", "k_proj", "v_proj", "o_proj")
SEED = 0
RESPONSE_WORDS = 40
NEW_TOKENS = 64
PROMPTS = 5
GOAL = 0.9


# -- data -------------------------------------------------------------------------------


def _tidy(text: str) -> str:
    """Cranfield's text has spaces before its punctuation (``aircraft .``)."""
    return re.sub(r"\s+([.,;:?)])", r"\1", " ".join(text.split()))


def pairs() -> list[dict[str, str]]:
    """One pair per Cranfield query that has a judged abstract: the query, and the first
    ``RESPONSE_WORDS`` words of its most relevant abstract."""
    beir = shared("cranfield") / "beir"
    docs = {}
    for line in (beir / "corpus.jsonl").open(encoding="utf-8"):
        doc = json.loads(line)
        text, title = doc["text"].strip(), doc.get("title", "").strip()
        if title and text.startswith(title):
            text = text[len(title):]
        docs[doc["_id"]] = " ".join(text.split()[:RESPONSE_WORDS])
    queries = {q["_id"]: q["text"] for q in map(json.loads, (beir / "queries.jsonl")
                                                  .open(encoding="utf-8"))}
    best: dict[str, tuple[int, str]] = {}
    for line in (beir / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        query, doc, score = line.split("\t")
        if query not in best or int(score) > best[query][0]:
            best[query] = (int(score), doc)
    out = []
    for query in sorted(best, key=int):
        prompt, response = _tidy(queries[query]), _tidy(docs.get(best[query][1], ""))
        if prompt and response:
            out.append({"prompt": prompt, "response": response})
    return out


def job_order(records: list[dict[str, str]]) -> list[tuple[str, str]]:
    """The pairs in the order Sluice's job trains on them: shuffled with the request's seed
    (``Tuner._split`` with ``eval_fraction=0``, nothing held out)."""
    order = list(range(len(records)))
    random.Random(SEED).shuffle(order)
    return [(records[i]["prompt"], records[i]["response"]) for i in order]


# -- the runs ---------------------------------------------------------------------------


def set_threads(threads: int) -> int:
    import torch

    if threads:
        torch.set_num_threads(threads)
    return int(torch.get_num_threads())


def run_sluice(steps: int, batch: int, length: int, threads: int,
               device: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sluice-bench-lora-") as home:
        os.environ["SLUICE_HOME"] = home  # before sluice is imported
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["SLUICE_DEVICE"] = device
        if threads:
            os.environ["SLUICE_TORCH_THREADS"] = str(threads)
            set_threads(threads)
        import sluice

        client = sluice.connect()
        client.datasets.append("pairs", pairs())
        started = time.perf_counter()
        tuned = client.finetune("pairs", steps=steps, batch_size=batch, max_length=length,
                                learning_rate=LEARNING_RATE, rank=RANK, alpha=ALPHA,
                                target_modules=list(MODULES), eval_fraction=0.0,
                                eval_answers=0, seed=SEED)
        wall = time.perf_counter() - started
        result = tuned.result
        assert result is not None, tuned.state
        losses = tuned.loss_curve.get("values") or [None]
        out = {"tokens_per_second": result.tokens_per_second, "tokens": result.tokens,
               "seconds": result.seconds, "steps": result.steps, "pairs": result.pairs,
               "eval_pairs": result.eval_pairs,
               "measured": result.before is not None or result.after is not None,
               "loss_first": losses[0], "loss_last": losses[-1],
               "loss_points": len(tuned.loss_curve.get("steps") or []),
               "job_wall_s": wall, "threads": set_threads(0)}
        client.close()
        return out


def load_model(folder: str, device: str) -> tuple[Any, Any]:
    """The base and its tokenizer as Sluice's ``load_base`` loads them (float32 on the
    CPU, bfloat16 on a GPU; the EOS token pads)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model: Any = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype,
                                                      use_safetensors=True)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model.to(device), tokenizer


def run_peft(folder: str, steps: int, batch: int, length: int, threads: int, device: str,
             adapter: str) -> dict[str, Any]:
    threads = set_threads(threads)
    import torch
    from peft import LoraConfig, get_peft_model

    from sluice.core.training.lora import batches, encode

    model, tokenizer = load_model(folder, device)
    data = batches([encode(tokenizer, p, r, length) for p, r in job_order(pairs())], batch,
                   tokenizer.pad_token_id)
    torch.manual_seed(SEED)
    model = get_peft_model(model, LoraConfig(r=RANK, lora_alpha=ALPHA,
                                             target_modules=list(MODULES), lora_dropout=0.0,
                                             task_type="CAUSAL_LM"))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=LEARNING_RATE)
    model.train()
    tokens, first = 0, None
    started = time.perf_counter()
    for step in range(steps):
        cpu = data[step % len(data)]
        inputs = {k: v.to(device) for k, v in cpu.items()}
        loss = model(**inputs).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        tokens += int(cpu["attention_mask"].sum())  # the CPU copy: no wait on a GPU
        if step == 0:
            first = loss.detach()
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    widths = [int(b["input_ids"].shape[1]) for b in (data[s % len(data)]
                                                     for s in range(steps))]
    if adapter:
        model.save_pretrained(adapter, safe_serialization=True)
    return {"tokens_per_second": tokens / max(seconds, 1e-9), "tokens": tokens,
            "seconds": seconds, "steps": steps,
            "loss_first": float(first) if first is not None else None,
            "loss_last": float(loss.detach()), "threads": threads,
            "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "padded_width": spread(widths, 1)}


def run_generate(folder: str, adapter: str, passes: int, threads: int,
                 device: str) -> dict[str, Any]:
    """Generation threads: ``threads`` when given, else what Sluice's own generation
    sets (``configure_torch(settings.torch_threads)``: half the cores by default)."""
    if threads:
        set_threads(threads)
    else:
        from sluice.inference.runtime import configure_torch
        from sluice.settings import load_settings

        with tempfile.TemporaryDirectory(prefix="sluice-bench-lora-") as home:
            configure_torch(load_settings(home=home).torch_threads)
    threads = set_threads(0)
    import torch
    from peft import PeftModel

    from sluice.core.training.lora import prompt_ids

    base, tokenizer = load_model(folder, device)
    unmerged = PeftModel.from_pretrained(load_model(folder, device)[0], adapter)
    merged = PeftModel.from_pretrained(load_model(folder, device)[0], adapter).merge_and_unload()
    models = {"base": base.eval(), "unmerged": unmerged.eval(), "merged": merged.eval()}
    unseen = job_order(pairs())[-PROMPTS:]  # far past the steps * batch pairs trained on
    prompts = [torch.tensor([prompt_ids(tokenizer, p)], device=device) for p, _ in unseen]

    def generate(model: Any, ids: Any, new: int) -> Any:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                  max_new_tokens=new, min_new_tokens=new, do_sample=False,
                                  pad_token_id=tokenizer.pad_token_id)

    for model in models.values():
        generate(model, prompts[0], 4)  # warm-up, untimed
    rates: dict[str, list[float]] = {name: [] for name in models}
    texts: dict[str, list[str]] = {}
    new_tokens = 0
    for _ in range(passes):
        for name, model in models.items():
            tokens, outs = 0, []
            started = time.perf_counter()
            for ids in prompts:
                out = generate(model, ids, NEW_TOKENS)
                tokens += int(out.shape[1] - ids.shape[1])
                outs.append(out[0, ids.shape[1]:])
            if device == "cuda":
                torch.cuda.synchronize()
            rates[name].append(tokens / (time.perf_counter() - started))
            texts[name] = [tokenizer.decode(o, skip_special_tokens=True) for o in outs]
            new_tokens = tokens
    same = sum(a == b for a, b in zip(texts["merged"], texts["unmerged"], strict=True))
    return {"rates": rates, "new_tokens_per_pass": new_tokens, "prompts": len(prompts),
            "prompt_tokens": [int(p.shape[1]) for p in prompts],
            "merged_same_text_as_unmerged": same,
            "adapter_changed_text": sum(a != b for a, b in zip(texts["base"], texts["unmerged"],
                                                               strict=True)),
            "sample": {name: t[0][:160] for name, t in texts.items()}, "threads": threads}


# -- driver -----------------------------------------------------------------------------


def worker(args: argparse.Namespace, tool: str, *extra: str) -> dict[str, Any]:
    """One run in a fresh process: nothing (threads, loaded models, PEFT's wrapping of the
    base) carries from one run to the next."""
    command = [sys.executable, "-m", "bench.lora", "--worker", tool, "--steps", str(args.steps),
               "--batch", str(args.batch), "--length", str(args.length),
               "--device", args.device, *extra, *(["--quick"] if quick() else [])]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, cwd=ROOT,
                          env=env)
    if done.returncode:
        raise SystemExit(f"bench.lora worker {tool} failed: exit {done.returncode}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def base_folder() -> str:
    """The bundled model's de-quantised folder (made once here, before any run)."""
    from sluice.inference.llms import bundled_folder
    from sluice.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="sluice-bench-lora-") as home:
        return str(bundled_folder(load_settings(home=home)))


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.lora", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_STEPS} steps, 1 repeat, 1 generation pass")
    parser.add_argument("--steps", type=int, default=None,
                        help=f"optimizer steps per run (default {STEPS})")
    parser.add_argument("--batch", type=int, default=BATCH, help=f"pairs per step ({BATCH})")
    parser.add_argument("--length", type=int, default=LENGTH,
                        help=f"max tokens per pair ({LENGTH})")
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"runs per side, and generation passes (default {REPEATS})")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch threads in every process (default: the count Sluice's "
                             "job runs with, read in its first run)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cpu (default) or cuda (SLUICE_DEVICE=cuda for Sluice)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--folder", default="", help=argparse.SUPPRESS)
    parser.add_argument("--adapter", default="", help=argparse.SUPPRESS)
    parser.add_argument("--passes", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.steps = args.steps or (QUICK_STEPS if quick() else STEPS)
    args.repeats = args.repeats or (1 if quick() else REPEATS)
    return args


def run_worker(args: argparse.Namespace) -> dict[str, Any]:
    if args.worker == "sluice":
        return run_sluice(args.steps, args.batch, args.length, args.threads, args.device)
    if args.worker == "peft":
        return run_peft(args.folder, args.steps, args.batch, args.length, args.threads,
                        args.device, args.adapter)
    return run_generate(args.folder, args.adapter, args.passes, args.threads, args.device)


def say(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def main() -> dict[str, Any]:
    args = options()
    if args.worker:
        out = run_worker(args)
        print(json.dumps(out, default=str), flush=True)
        return out
    records = pairs()
    folder = base_folder()
    runs: dict[str, list[dict[str, Any]]] = {"sluice": [], "peft": []}
    threads = args.threads
    with tempfile.TemporaryDirectory(prefix="sluice-bench-lora-adapter-") as adapter:
        for repeat in range(args.repeats):  # alternate, so load on the machine falls alike
            s = worker(args, "sluice", "--threads", str(args.threads))
            threads = threads or int(s["threads"])
            runs["sluice"].append(s)
            say(f"repeat {repeat} sluice: {s['tokens_per_second']:,.1f} tokens/s "
                f"({s['tokens']} tokens in {s['seconds']:.2f} s, {s['threads']} threads; "
                f"job {s['job_wall_s']:.1f} s)")
            p = worker(args, "peft", "--threads", str(threads), "--folder", folder,
                       "--adapter", adapter if repeat == 0 else "")
            runs["peft"].append(p)
            say(f"repeat {repeat} peft: {p['tokens_per_second']:,.1f} tokens/s "
                f"({p['tokens']} tokens in {p['seconds']:.2f} s, {p['threads']} threads)")
        g = worker(args, "generate", "--threads", str(args.threads), "--folder", folder,
                   "--adapter", adapter, "--passes", str(args.repeats))
    sides = {name: {"tokens_per_second": spread([r["tokens_per_second"] for r in rs], 1),
                    "seconds": spread([r["seconds"] for r in rs], 3),
                    "tokens": rs[0]["tokens"],
                    "runs": [{k: (round(v, 4) if isinstance(v, float) else v)
                              for k, v in r.items()} for r in rs]}
             for name, rs in runs.items()}
    ours = sides["sluice"]["tokens_per_second"]["median"]
    theirs = sides["peft"]["tokens_per_second"]["median"]
    gen = {name: spread(values, 1) for name, values in g["rates"].items()}
    same_tokens = all(r["tokens"] == runs["peft"][0]["tokens"]
                      for rs in runs.values() for r in rs)
    thread_counts = sorted({int(r["threads"]) for rs in runs.values() for r in rs})
    result: dict[str, Any] = {
        "steps": args.steps, "batch_size": args.batch, "max_length": args.length,
        "repeats": args.repeats, "device": args.device, "threads": thread_counts,
        "generation_threads": int(g["threads"]),
        "pairs": len(records), "training": sides,
        "ratios": {"what": "Sluice's median tokens/s over the plain PEFT loop's",
                   "sluice_vs_peft": round(ours / theirs, 4)},
        "same_tokens": same_tokens,
        "generation": {"tokens_per_second": gen,
                       "ratios": {"unmerged_vs_base": round(gen["unmerged"]["median"]
                                                            / gen["base"]["median"], 4),
                                  "merged_vs_base": round(gen["merged"]["median"]
                                                          / gen["base"]["median"], 4),
                                  "merged_vs_unmerged": round(gen["merged"]["median"]
                                                              / gen["unmerged"]["median"],
                                                              4)},
                       **{k: v for k, v in g.items() if k != "rates"}},
        "goals": {"sluice_at_least_90pct_of_peft": ours >= GOAL * theirs}}
    result["notes"] = notes(result)
    save("lora", result, settings={
        "data": "Cranfield (../shared/data/cranfield/beir): query text -> first "
                f"{RESPONSE_WORDS} words of its most relevant abstract (top qrels grade)",
        "base": "bundled SmolLM2-135M-Instruct (de-quantised Q4_1 GGUF folder)",
        "folder": folder, "steps": args.steps, "batch_size": args.batch,
        "max_length": args.length, "rank": RANK, "alpha": ALPHA,
        "learning_rate": LEARNING_RATE, "target_modules": list(MODULES), "seed": SEED,
        "device": args.device,
        "dtype": "bfloat16" if args.device == "cuda" else "float32",
        "threads": f"torch.set_num_threads({threads}) in every process"
                   if args.threads else f"training {threads}: the count Sluice's job ran with, "
                                        "set in the anchor's process; generation "
                                        f"{g['threads']}: what Sluice's generation sets "
                                        "(configure_torch(settings.torch_threads))",
        "sluice": "client.finetune(..., eval_fraction=0.0, eval_answers=0); "
                  "result.tokens_per_second",
        "peft": "get_peft_model + LoraConfig(r, lora_alpha, target_modules, "
                "lora_dropout=0.0, task_type='CAUSAL_LM') + torch.optim.AdamW(lr); Sluice's "
                "encode/batches, same pair order; only the loop timed",
        "generation": f"greedy, {NEW_TOKENS} new tokens (min_new_tokens={NEW_TOKENS}) for "
                      f"{PROMPTS} unseen prompts, {args.repeats} pass(es), the three "
                      "alternating; adapter from the anchor's first run",
        "anchor_versions": {n: _version(n) for n in ("peft", "transformers", "torch")},
        "processes": "each run in a fresh Python process (imports and loading not timed)"})
    for line in lines(result):
        print(line, flush=True)
    return result


def lines(r: dict[str, Any]) -> list[str]:
    t, g = r["training"], r["generation"]
    met = r["goals"]["sluice_at_least_90pct_of_peft"]
    rate = g["tokens_per_second"]
    return [f"training ({r['steps']} steps, batch {r['batch_size']}, max_length "
            f"{r['max_length']}, {r['device']}, threads {r['threads']}): Sluice "
            f"{t['sluice']['tokens_per_second']['median']:,.1f} tokens/s, plain PEFT loop "
            f"{t['peft']['tokens_per_second']['median']:,.1f} tokens/s",
            f"Sluice >= 90% of the plain PEFT loop's tokens/s: "
            f"{'met' if met else 'MISSED'} (ratio {r['ratios']['sluice_vs_peft']:.3f})",
            f"generation ({g['prompts']} prompts x {NEW_TOKENS} new tokens): base "
            f"{rate['base']['median']:,.1f}, adapter unmerged {rate['unmerged']['median']:,.1f}, "
            f"merged {rate['merged']['median']:,.1f} tokens/s (merged / unmerged "
            f"{g['ratios']['merged_vs_unmerged']:.2f}x)"]


def notes(r: dict[str, Any]) -> list[str]:
    out = ["Sluice's tokens/s is its own result.tokens_per_second, timed around the loop "
           "inside the job (cancel checks, throttled progress writes, loss points buffered "
           "and written to the run every 50 steps), while the SDK polls the job every 0.5 s "
           "in the same process; loading the model and storing the adapter are outside it "
           "(job_wall_s has the whole call).",
           "The anchor runs the same batches (Sluice's encode and batches, pairs in the "
           "job's shuffled order): same_tokens says both sides counted the same tokens."]
    if len(r["threads"]) > 1:
        out.append(f"Thread counts differ between processes: {r['threads']}.")
    return out


if __name__ == "__main__":
    main()
