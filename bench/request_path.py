"""The request path: an authenticated small ``GET`` against ``sluice up``, and the same
against a trivial FastAPI app on the same server stack (uvicorn, one process, a sync
route as Sluice's are), measured with ``wrk`` (``apt install wrk``) in the same run at
concurrency 8 and 1. Goal: Sluice at >= 50% of the trivial app's requests/s at both.
Medians of three 10-second runs, with min and max.

    python -m bench.request_path [--quick]
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import quick, save
from bench.tracking import free_port, sluice_server, wait_healthy

TRIVIAL = textwrap.dedent('''
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/x")
    def x() -> dict[str, bool]:
        return {"ok": True}
''')
RUNS = 3
SECONDS = 3 if quick() else 10


@contextmanager
def trivial_server(root: Path) -> Iterator[str]:
    (root / "trivial_app.py").write_text(TRIVIAL)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "trivial_app:app", "--port",
                             str(port), "--log-level", "warning"], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url + "/x", proc)
        yield url + "/x"
    finally:
        proc.terminate()
        proc.wait(30)


def wrk(url: str, connections: int, header: str | None = None) -> dict[str, float]:
    """Requests/s and p50 latency (ms) of one ``wrk`` run."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s", "--latency", url]
    if header:
        cmd[1:1] = ["-H", header]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {"rps": rps, "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else 0.0}


def summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    rps = [r["rps"] for r in runs]
    return {"rps": {"median": statistics.median(rps), "min": min(rps), "max": max(rps)},
            "p50_ms": statistics.median(r["p50_ms"] for r in runs)}


def main() -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt install wrk)")
    result: dict[str, Any] = {"seconds": SECONDS, "runs": RUNS, "cases": {}}
    with tempfile.TemporaryDirectory() as tmp, sluice_server(Path(tmp)) as sluice, \
            trivial_server(Path(tmp)) as trivial:
        whoami = sluice["url"] + "/api/v1/whoami"
        auth = f"Authorization: Bearer {sluice['token']}"
        for connections in (8, 1):
            ours = summary([wrk(whoami, connections, auth) for _ in range(RUNS)])
            anchor = summary([wrk(trivial, connections) for _ in range(RUNS)])
            result["cases"][f"c{connections}"] = {
                "sluice GET /api/v1/whoami": ours, "trivial FastAPI GET": anchor,
                "ratio": ours["rps"]["median"] / anchor["rps"]["median"]}
    save("request_path", result, settings={"wrk_threads": 1, "seconds": SECONDS,
                                            "server": "uvicorn, one process"})
    return result


if __name__ == "__main__":
    main()
