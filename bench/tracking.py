"""The mlflow client against Sluice and against ``mlflow server``, same machine, same run.

Both servers keep metadata in SQLite and proxy artifacts to a local folder; the client
code is identical, only ``MLFLOW_TRACKING_URI`` (and Sluice's token) differ. Measured:
runs/s (start, 5 params, end), ``log_metric`` calls/s, ``log_batch`` metrics/s (batches of
1,000), ``search_runs`` p50 over 10,000 runs (filter + order, 100 rows), ``get_run`` p50,
``get_metric_history`` p50 for 10,000 steps, and server start until healthy. The 10,000
runs are written straight into each server's SQLite file (the same rows for both), since
creating them through MLflow's server would take most of an hour.

    python -m bench.tracking            # MLFLOW_SERVER_WORKERS picks mlflow's workers
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import save

SEARCH_RUNS = 10_000
HISTORY_STEPS = 10_000


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], limit: float = 180) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not answer in {limit} s")


@contextmanager
def sluice_server(root: Path) -> Iterator[dict[str, Any]]:
    port = free_port()
    home = root / "sluice-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
    env.update(SLUICE_HOME=str(home), SLUICE_PORT=str(port), SLUICE_LOG_LEVEL="WARNING")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "sluice.cli", "up", "--json"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url + "/healthz", proc)
    start_s = time.perf_counter() - started
    try:
        yield {"name": "sluice", "url": url, "start_s": start_s,
               "token": (home / "admin-token").read_text().strip(),
               "db": home / "metadata.db", "kind": "sluice"}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


@contextmanager
def mlflow_server(root: Path) -> Iterator[dict[str, Any]]:
    port = free_port()
    db = root / "mlflow.db"
    env = dict(os.environ, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",
               MLFLOW_DISABLE_TELEMETRY="true",
               PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    cmd = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
           "--backend-store-uri", f"sqlite:///{db}",
           "--artifacts-destination", str(root / "mlflow-artifacts")]
    workers = os.environ.get("MLFLOW_SERVER_WORKERS")
    if workers:
        cmd += ["--workers", workers]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url + "/health", proc)
    start_s = time.perf_counter() - started
    try:
        yield {"name": "mlflow", "url": url, "start_s": start_s, "token": "", "db": db,
               "kind": "mlflow"}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def p50(fn: Callable[[], Any], n: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(server: dict[str, Any], quick: bool) -> dict[str, Any]:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    os.environ["MLFLOW_TRACKING_TOKEN"] = server["token"] or "unused"
    mlflow.set_tracking_uri(server["url"])
    client = MlflowClient(server["url"])
    exp = client.create_experiment(f"bench-{uuid.uuid4().hex[:6]}")
    out: dict[str, Any] = {"server_start_s": round(server["start_s"], 2)}

    n_runs = 20 if quick else 60
    started = time.perf_counter()
    for i in range(n_runs):
        run = client.create_run(exp)
        for k in range(5):
            client.log_param(run.info.run_id, f"p{k}", str(i))
        client.set_terminated(run.info.run_id)
    out["runs_per_s"] = round(n_runs / (time.perf_counter() - started), 1)

    run_id = client.create_run(exp).info.run_id
    n_calls = 100 if quick else 300
    started = time.perf_counter()
    for step in range(n_calls):
        client.log_metric(run_id, "loss", 1 / (step + 1), step=step)
    out["log_metric_per_s"] = round(n_calls / (time.perf_counter() - started), 1)

    history_run = client.create_run(exp).info.run_id
    stamp = int(time.time() * 1000)
    started = time.perf_counter()
    for start in range(0, HISTORY_STEPS, 1000):
        client.log_batch(history_run, metrics=[Metric("acc", i / HISTORY_STEPS, stamp, i)
                                               for i in range(start, start + 1000)])
    out["log_batch_metrics_per_s"] = round(HISTORY_STEPS / (time.perf_counter() - started))
    out["get_metric_history_10k_p50_ms"] = round(
        1000 * p50(lambda: client.get_metric_history(history_run, "acc"), 5), 1)
    out["get_run_p50_ms"] = round(1000 * p50(lambda: client.get_run(run_id), 30), 2)

    search_exp = client.create_experiment(f"search-{uuid.uuid4().hex[:6]}")
    seed(server, int(search_exp), SEARCH_RUNS)

    def search() -> None:
        found = client.search_runs([search_exp], "metrics.acc > 0.5 and params.p0 != 'x'",
                                   order_by=["metrics.acc DESC"], max_results=100)
        assert len(found) == 100, len(found)

    out["search_runs_10k_p50_ms"] = round(1000 * p50(search, 10), 1)
    out["training_loop_metrics_per_s"] = training_loop(server, quick)
    return out


def training_loop(server: dict[str, Any], quick: bool) -> float:
    """A loop logging one metric per step, each tool's own way: Sluice's SDK (batched),
    and mlflow's fluent API with its asynchronous logging on (its fastest mode)."""
    steps = 2_000 if quick else 10_000
    started = time.perf_counter()
    if server["kind"] == "sluice":
        from sluice.sdk.remote import RemoteClient

        client = RemoteClient(server["url"], server["token"])
        with client.run(experiment="loop") as run:
            for step in range(steps):
                run.log_metric("loss", 1 / (step + 1), step=step)
        client.close()
    else:
        import mlflow

        mlflow.set_experiment("loop")
        with mlflow.start_run():
            for step in range(steps):
                mlflow.log_metric("loss", 1 / (step + 1), step=step, synchronous=False)
        mlflow.flush_async_logging()
    return round(steps / (time.perf_counter() - started))


def seed(server: dict[str, Any], experiment_id: int, n: int) -> None:
    """The same runs in either server's SQLite: 5 params, 2 tags, 3 metrics each."""
    conn = sqlite3.connect(server["db"], timeout=60)
    now = int(time.time() * 1000)
    runs = [(uuid.uuid4().hex, i) for i in range(n)]
    metric = [(rid, key, ((i * 7919) % 1000) / 1000 + j, now, 0)
              for rid, i in runs for j, key in enumerate(("acc", "loss", "f1"))]
    params = [(rid, f"p{k}", str(i % 10)) for rid, i in runs for k in range(5)]
    tags = [(rid, key, f"run-{i}" if key == "mlflow.runName" else "bench")
            for rid, i in runs for key in ("mlflow.runName", "team")]
    with conn:
        if server["kind"] == "mlflow":
            conn.executemany(
                "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name,"
                " user_id, status, start_time, end_time, source_version, lifecycle_stage,"
                " artifact_uri, experiment_id) VALUES (?, ?, 'LOCAL', '', '', 'bench',"
                " 'FINISHED', ?, ?, '', 'active', ?, ?)",
                [(rid, f"run-{i}", now + i, now + i + 1,
                  f"mlflow-artifacts:/{experiment_id}/{rid}/artifacts", experiment_id)
                 for rid, i in runs])
            conn.executemany("INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?)",
                             params)
            conn.executemany("INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?)", tags)
            for table in ("metrics", "latest_metrics"):
                conn.executemany(f"INSERT INTO {table} (run_uuid, key, value, timestamp, step,"
                                 " is_nan) VALUES (?, ?, ?, ?, ?, 0)", metric)
        else:
            conn.executemany(
                "INSERT INTO runs (id, experiment_id, name, status, lifecycle_stage, user,"
                " start_ms, end_ms) VALUES (?, ?, ?, 'FINISHED', 'active', 'bench', ?, ?)",
                [(rid, experiment_id, f"run-{i}", now + i, now + i + 1) for rid, i in runs])
            conn.executemany("INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?)",
                             params)
            conn.executemany("INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)", tags)
            conn.executemany("INSERT INTO metrics (run_id, key, value, timestamp, step)"
                             " VALUES (?, ?, ?, ?, ?)", metric)
            conn.executemany("INSERT INTO latest_metrics (run_id, key, value, timestamp, step)"
                             " VALUES (?, ?, ?, ?, ?)", metric)
    conn.close()


def main() -> None:
    quick = "--quick" in sys.argv
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, server in (("sluice", sluice_server), ("mlflow", mlflow_server)):
            root = Path(tmp) / name
            root.mkdir()
            with server(root) as info, contextlib.redirect_stdout(io.StringIO()):
                results[name] = measure(info, quick)  # the client prints a link per run
                print(name, results[name], flush=True)
    ratios = {}
    for key, value in results["sluice"].items():
        other = results["mlflow"][key]
        faster_is_higher = key.endswith("_per_s")
        ratios[key] = round(value / other if faster_is_higher else other / value, 1)
    save("tracking", {"sluice": results["sluice"], "mlflow": results["mlflow"],
                      "speedup": ratios, "quick": quick,
                      "mlflow_workers": os.environ.get("MLFLOW_SERVER_WORKERS", "default")})


if __name__ == "__main__":
    main()
