"""Helpers shared by the benchmarks: timing, the shared data folder, result files.

Every benchmark times each side at least three times and reports the median with the
minimum and maximum (``timed``), and writes one JSON file to ``bench/results/`` with the
machine, the package versions and its settings (``save``). The tables in
``docs/benchmarks.md`` are generated from those files (``python -m bench.report``).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"
REPEAT = 3
PACKAGES = ("sluice", "torch", "duckdb", "pylance", "lancedb", "faiss-cpu", "chromadb",
            "mlflow", "markitdown", "sentence-transformers", "snorkel", "fastapi", "uvicorn")


def quick() -> bool:
    """``--quick`` on the command line or ``SLUICE_BENCH_QUICK=1``: smaller work, same code."""
    return "--quick" in sys.argv or os.environ.get("SLUICE_BENCH_QUICK") == "1"


def shared(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        raise SystemExit(f"{path} is missing: the benchmarks read ../shared/data")
    return path


def spread(values: Iterable[float], digits: int = 4) -> dict[str, Any]:
    """Median, min and max of repeated measurements, with the raw values."""
    vals = [float(v) for v in values]
    return {"median": round(statistics.median(vals), digits), "min": round(min(vals), digits),
            "max": round(max(vals), digits), "runs": [round(v, digits) for v in vals]}


def timed(fn: Callable[[], Any], repeat: int = REPEAT, digits: int = 4) -> dict[str, Any]:
    """Seconds for ``repeat`` runs of ``fn``: median, min, max and every run."""
    times = []
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return spread(times, digits)


def rate(work: float, seconds: dict[str, Any], digits: int = 1) -> dict[str, Any]:
    """A ``timed`` result turned into work per second (the median run is the median rate;
    the slowest run gives the minimum)."""
    per = [work / s for s in seconds["runs"]]
    return spread(per, digits)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return 0.0


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def meta(settings: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"date": dt.date.today().isoformat(), "quick": quick(),
            "machine": {"cpus": os.cpu_count(), "cpu": cpu_model(), "memory_gib": memory_gib(),
                        "system": platform.platform()},
            "versions": versions(), "settings": settings or {}}


def save(name: str, result: dict[str, Any], settings: dict[str, Any] | None = None) -> None:
    """Write ``bench/results/<name>.json`` (``<name>.quick.json`` for a quick run, so a
    quick run never replaces the full figures the docs are generated from)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {**result, "meta": meta(settings)}
    suffix = ".quick.json" if quick() else ".json"
    path = RESULTS / f"{name}{suffix}"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2, default=str) + "\n")
    tmp.replace(path)
    print(json.dumps(result, indent=2, default=str))
    print(f"wrote {path.relative_to(ROOT)}", flush=True)


def load(name: str) -> dict[str, Any]:
    return json.loads((RESULTS / f"{name}.json").read_text())
