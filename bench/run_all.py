"""Run every benchmark, each in its own process; results go to bench/results/*.json.

    python -m bench.run_all [--quick] [--only sql,ingest]

Then ``python -m bench.report`` regenerates the tables of docs/benchmarks.md (``make
bench`` does both; a quick run writes ``*.quick.json`` files the docs never use).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.common import ROOT

BENCHMARKS = ("labeling", "labeling_agnews", "labeling_imbalanced", "active", "sql",
              "ingest", "retrieval", "embedding", "embedding_variants", "vectors", "tracking",
              "request_path", "ask_qa", "automl", "executors", "distill", "lora")


def selected() -> list[str]:
    if "--only" in sys.argv:
        names = sys.argv[sys.argv.index("--only") + 1].split(",")
        unknown = set(names) - set(BENCHMARKS)
        if unknown:
            raise SystemExit(f"unknown benchmarks {sorted(unknown)}; known: {BENCHMARKS}")
        return names
    return list(BENCHMARKS)


def main() -> int:
    extra = ["--quick"] if "--quick" in sys.argv else []
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    failed = []
    for name in selected():
        print(f"== bench.{name} {' '.join(extra)}", flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", f"bench.{name}", *extra], check=False,
                              cwd=ROOT, env=env)
        print(f"== bench.{name}: exit {done.returncode} after "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        if done.returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
