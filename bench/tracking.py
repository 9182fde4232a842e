"""The mlflow client against Sluice, against ``mlflow server`` (one worker and its default
workers) and against a do-nothing MLflow server, same machine, same run.

Servers, one at a time except the first two:

- ``sluice``: ``sluice up`` (SQLite metadata, local artifacts).
- ``null``: ``bench/mlflow_null.py``, a FastAPI app on the same uvicorn stack (one process)
  answering every MLflow route these operations call at once, storing nothing: the ceiling
  for the mlflow client's per-call operations. Sluice and it are up together and their
  repetitions alternate, so load on the machine falls on both alike. Goal: Sluice's runs/s
  and ``log_metric``/s at >= 80% of the ceiling (``ceiling``, ``goals``).
- ``mlflow_w1``: ``mlflow server --workers 1``; ``mlflow_default``: ``mlflow server`` with
  its default workers (4 uvicorn workers in MLflow 3). Both keep metadata in SQLite and
  proxy artifacts to a local folder.

The client code is identical for all; only ``MLFLOW_TRACKING_URI`` (and Sluice's token)
differ. Per-call figures are medians of 3 repetitions with min and max (``timed``/``rate``):
runs/s (``create_run``, 5 ``log_param``, ``set_terminated``), ``log_metric`` calls/s,
``log_batch`` metrics/s (batches of 1,000). Reads are p50 over n calls (n in the settings):
``search_runs`` over seeded runs (filter + order, 100 rows), ``get_run``,
``get_metric_history`` of the steps ``log_batch`` wrote. Server start is until healthy (one
start each). The training loop logs one metric per step two ways:

- ``loop_fastest_metrics_per_s``: each tool's fastest documented way, Sluice's SDK
  (``run.log_metric``, batched by the SDK) vs ``mlflow.log_metric(synchronous=False)``
  with ``MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS=1`` (``loop_async_unbuffered_metrics_per_s``:
  the same without it, mlflow's default, which sends one request per value).
- ``loop_batched_metrics_per_s``: batched against batched, Sluice's SDK vs
  ``MlflowClient.log_batch`` with the loop accumulating batches of 1,000.

The seeded runs are written straight into each server's SQLite file (the same rows for
each), since creating them through MLflow's server would take most of an hour.

    python -m bench.tracking            # full figures (docs)
    python -m bench.tracking --quick    # small work, a few minutes
"""

from __future__ import annotations

import contextlib
import io
import itertools
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

from bench.common import REPEAT, ROOT, quick, rate, save, spread, timed

GOAL = 0.8  # Sluice's share of the do-nothing server's speed the issue asks for
BATCH = 1_000  # MlflowClient.log_batch sends at most 1,000 metrics a request
# MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS for mlflow's fastest loop: without it its async
# logging thread sends one request per logged value (about log_metric's speed)
ASYNC_BUFFER_S = "1"
PARAMS_PER_RUN = 5
CEILING_KEYS = ("runs_per_s", "log_metric_per_s")
METHODS = {
    "loop_fastest_metrics_per_s": {
        "sluice": "Sluice SDK: with client.run(...) as run: run.log_metric(...) "
                  "(the SDK batches: every 1,000 metrics or 1 s, and at the end)",
        "mlflow": "mlflow.log_metric(..., synchronous=False) in mlflow.start_run(), "
                  "then mlflow.flush_async_logging(), with "
                  "MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS=1 so its logging thread merges "
                  "queued values into log-batch requests"},
    "loop_async_unbuffered_metrics_per_s": {
        "mlflow": "as loop_fastest, with MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS unset "
                  "(mlflow's default: one log-batch request per logged value, sent from a "
                  "pool of 10 threads); fewer steps (loop_unbuffered_steps)"},
    "loop_batched_metrics_per_s": {
        "sluice": "Sluice SDK, as above (its batching is built in)",
        "mlflow": "MlflowClient.create_run, the loop accumulating Metric objects and "
                  "calling MlflowClient.log_batch every 1,000 steps, then set_terminated"},
    "runs_per_s": "MlflowClient: create_run, 5 log_param, set_terminated (8 requests)",
    "log_metric_per_s": "MlflowClient.log_metric, one request per call",
    "log_batch_metrics_per_s": "MlflowClient.log_batch, 1,000 metrics per call",
}


def work(small: bool) -> dict[str, int]:
    """How much each measurement does (quick: a few minutes for the whole run)."""
    return {"repeat": REPEAT,
            "runs": 15 if small else 60,
            "log_metric_calls": 60 if small else 300,
            "log_batch_metrics": 5_000 if small else 10_000,
            "loop_steps": 2_000 if small else 10_000,
            "loop_unbuffered_steps": 300 if small else 1_000,
            "search_runs": 2_000 if small else 10_000,
            "search_n": 5 if small else 20,
            "get_run_n": 15 if small else 50,
            "history_n": 3 if small else 10}


# servers

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
               "db": home / "metadata.db", "kind": "sluice", "pid": proc.pid}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


@contextmanager
def null_server(root: Path) -> Iterator[dict[str, Any]]:
    """``bench/mlflow_null.py`` on uvicorn (one process, uvicorn's defaults as ``sluice up``)."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.mlflow_null:app",
                             "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warning"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url + "/health", proc)
        start_s = time.perf_counter() - started
        yield {"name": "null", "url": url, "start_s": start_s, "token": "", "db": None,
               "kind": "null", "pid": proc.pid}
    finally:
        proc.terminate()
        proc.wait(30)


@contextmanager
def mlflow_server(root: Path, workers: int | None = None) -> Iterator[dict[str, Any]]:
    """``mlflow server`` on SQLite with artifact proxying; ``workers=None``: its default."""
    port = free_port()
    db = root / "mlflow.db"
    env = dict(os.environ, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",
               MLFLOW_DISABLE_TELEMETRY="true",
               PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    env.pop("MLFLOW_SERVER_WORKERS", None)
    cmd = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
           "--backend-store-uri", f"sqlite:///{db}",
           "--artifacts-destination", str(root / "mlflow-artifacts")]
    if workers:
        cmd += ["--workers", str(workers)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url + "/health", proc)
        start_s = time.perf_counter() - started
        yield {"name": f"mlflow_w{workers}" if workers else "mlflow_default", "url": url,
               "start_s": start_s, "token": "", "db": db, "kind": "mlflow",
               "workers": workers or "default", "pid": proc.pid,
               "processes": _group_size(proc.pid)}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def _group_size(pgid: int) -> int:
    """Processes in a server's process group (the mlflow CLI, uvicorn and its workers;
    0 where there is no /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return 0
    return sum(1 for entry in proc.iterdir()
               if entry.name.isdigit() and _pgid(int(entry.name)) == pgid)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def use(server: dict[str, Any]) -> Any:
    """An ``MlflowClient`` for ``server`` (the token is read from the environment at each
    request; the do-nothing server ignores it, so Sluice's can stay set while both run)."""
    import mlflow
    from mlflow import MlflowClient

    os.environ["MLFLOW_TRACKING_TOKEN"] = server["token"] or "unused"
    mlflow.set_tracking_uri(server["url"])
    return MlflowClient(server["url"])


# measurements

class PerCall:
    """The per-call operations on one server; each method is one repetition."""

    def __init__(self, server: dict[str, Any], sizes: dict[str, int]) -> None:
        self.client = use(server)
        self.sizes = sizes
        self.exp = self.client.create_experiment(f"bench-{uuid.uuid4().hex[:6]}")
        self.one_run()  # warm up: connection, first-call costs
        self.metric_run = self.client.create_run(self.exp).info.run_id
        self.client.log_metric(self.metric_run, "warm", 0.0)
        self.steps = itertools.count()
        self.batch_runs: list[str] = []

    def one_run(self, i: int = 0) -> None:
        run = self.client.create_run(self.exp)
        for k in range(PARAMS_PER_RUN):
            self.client.log_param(run.info.run_id, f"p{k}", str(i))
        self.client.set_terminated(run.info.run_id)

    def runs(self) -> None:
        for i in range(self.sizes["runs"]):
            self.one_run(i)

    def log_metrics(self) -> None:
        for _ in range(self.sizes["log_metric_calls"]):
            step = next(self.steps)
            self.client.log_metric(self.metric_run, "loss", 1 / (step + 1), step=step)

    def log_batch(self) -> Callable[[], None]:
        """One repetition of ``log_batch``: a fresh run and its batches made here, the
        writing returned to be timed."""
        from mlflow.entities import Metric

        run_id = self.client.create_run(self.exp).info.run_id  # outside the timing below
        steps, stamp = self.sizes["log_batch_metrics"], int(time.time() * 1000)
        batches = [[Metric("acc", i / steps, stamp, i) for i in range(start, start + BATCH)]
                   for start in range(0, steps, BATCH)]
        self.batch_runs.append(run_id)

        def write() -> None:
            for batch in batches:
                self.client.log_batch(run_id, metrics=batch)

        return write


def alternate(cases: dict[str, Callable[[], Any]], repeat: int = REPEAT) -> dict[str, Any]:
    """``timed`` for several cases with their repetitions interleaved, the order turned
    round each time (a b, b a, a b, ...) so a drift in the machine's load falls on all."""
    runs: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(repeat):
        order = list(cases.items())
        for name, fn in order if i % 2 == 0 else reversed(order):
            runs[name] += timed(fn, 1)["runs"]
    return {name: spread(values) for name, values in runs.items()}


def batch_rates(calls: PerCall) -> dict[str, Any]:
    """``log_batch`` metrics/s: each repetition writes the same steps into a fresh run."""
    times = [timed(calls.log_batch(), 1)["runs"][0] for _ in range(calls.sizes["repeat"])]
    return rate(calls.sizes["log_batch_metrics"], spread(times))


def p50(fn: Callable[[], Any], n: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def reads(server: dict[str, Any], calls: PerCall) -> dict[str, Any]:
    client, sizes = calls.client, calls.sizes
    run_id, history_run = calls.metric_run, calls.batch_runs[0]
    out: dict[str, Any] = {
        "get_metric_history_p50_ms": round(
            1000 * p50(lambda: client.get_metric_history(history_run, "acc"),
                       sizes["history_n"]), 1),
        "get_run_p50_ms": round(1000 * p50(lambda: client.get_run(run_id),
                                           sizes["get_run_n"]), 2)}
    search_exp = client.create_experiment(f"search-{uuid.uuid4().hex[:6]}")
    seed(server, int(search_exp), sizes["search_runs"])

    def search() -> None:
        found = client.search_runs([search_exp], "metrics.acc > 0.5 and params.p0 != 'x'",
                                   order_by=["metrics.acc DESC"], max_results=100)
        assert len(found) == 100, len(found)

    out["search_runs_p50_ms"] = round(1000 * p50(search, sizes["search_n"]), 1)
    return out


def loops(server: dict[str, Any], sizes: dict[str, int]) -> dict[str, Any]:
    """The training loop both ways (see the module's docstring); 3 repetitions each."""
    return (sluice_loops if server["kind"] == "sluice" else mlflow_loops)(server, sizes)


def sluice_loops(server: dict[str, Any], sizes: dict[str, int]) -> dict[str, Any]:
    """Sluice's SDK is both its fastest and its batched way: one measurement for both."""
    from sluice.sdk.remote import RemoteClient

    steps = sizes["loop_steps"]
    sdk = RemoteClient(server["url"], server["token"])

    def sdk_loop() -> None:
        with sdk.run(experiment="loop") as run:
            for step in range(steps):
                run.log_metric("loss", 1 / (step + 1), step=step)

    try:
        batched = rate(steps, timed(sdk_loop, sizes["repeat"]))
    finally:
        sdk.close()
    return {"loop_fastest_metrics_per_s": batched, "loop_batched_metrics_per_s": batched}


def mlflow_loops(server: dict[str, Any], sizes: dict[str, int]) -> dict[str, Any]:
    import mlflow
    from mlflow.entities import Metric

    steps = sizes["loop_steps"]
    client = use(server)
    exp = mlflow.set_experiment("loop").experiment_id

    def fluent_async(n: int, buffer_s: str | None) -> Callable[[], None]:
        def loop() -> None:
            with _env("MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS", buffer_s):
                with mlflow.start_run(experiment_id=exp):
                    for step in range(n):
                        mlflow.log_metric("loss", 1 / (step + 1), step=step,
                                          synchronous=False)
                mlflow.flush_async_logging()

        return loop

    def client_batched() -> None:
        run_id = client.create_run(exp).info.run_id
        pending: list[Any] = []
        for step in range(steps):
            pending.append(Metric("loss", 1 / (step + 1), int(time.time() * 1000), step))
            if len(pending) == BATCH:
                client.log_batch(run_id, metrics=pending)
                pending = []
        if pending:
            client.log_batch(run_id, metrics=pending)
        client.set_terminated(run_id)

    few = sizes["loop_unbuffered_steps"]
    return {"loop_fastest_metrics_per_s": rate(steps, timed(fluent_async(steps, ASYNC_BUFFER_S),
                                                            sizes["repeat"])),
            "loop_batched_metrics_per_s": rate(steps, timed(client_batched, sizes["repeat"])),
            "loop_async_unbuffered_metrics_per_s": rate(few, timed(fluent_async(few, None),
                                                                   sizes["repeat"]))}


@contextmanager
def _env(name: str, value: str | None) -> Iterator[None]:
    """``name`` set to ``value`` (removed for None) for the block, then as it was."""
    was = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    try:
        yield
    finally:
        if was is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = was


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


def full(server: dict[str, Any], calls: PerCall, per_call: dict[str, Any]) -> dict[str, Any]:
    """Everything but runs/s and log_metric/s (given in ``per_call``) on one server."""
    out: dict[str, Any] = {"server_start_s": round(server["start_s"], 2), **per_call}
    out["log_batch_metrics_per_s"] = batch_rates(calls)
    out.update(reads(server, calls))
    out.update(loops(server, calls.sizes))
    return out


def per_call_rates(times: dict[str, Any], sizes: dict[str, int]) -> dict[str, Any]:
    return {"runs_per_s": rate(sizes["runs"], times["runs"]),
            "log_metric_per_s": rate(sizes["log_metric_calls"], times["log_metric"])}


def median(value: Any) -> float:
    return float(value["median"] if isinstance(value, dict) else value)


def ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float]:
    """How many times better Sluice is (>1: Sluice faster): rates divide as they are,
    times (ms, s) the other way round."""
    out = {}
    for key, value in ours.items():
        if key not in theirs:
            continue
        a, b = median(value), median(theirs[key])
        out[key] = round(a / b if key.endswith("_per_s") else b / a, 2)
    return out


def ceiling(servers: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, bool]]:
    top = servers["null"]
    found: dict[str, Any] = {"server": "null (bench/mlflow_null.py)", "goal_fraction": GOAL}
    goals = {}
    for key in CEILING_KEYS:
        ours, best = servers["sluice"][key], top[key]
        fraction = ours["median"] / best["median"]
        paired = [a / b for a, b in zip(ours["runs"], best["runs"], strict=True)]
        found[key] = {"null": best["median"], "sluice": ours["median"],
                      "fraction_of_ceiling": round(fraction, 3),
                      "fraction_per_repetition": spread(paired, 3),
                      "goal_met": fraction >= GOAL,
                      **{f"{name}_fraction": round(servers[name][key]["median"]
                                                   / best["median"], 3)
                         for name in ("mlflow_w1", "mlflow_default") if name in servers}}
        goals[f"{key}_at_least_{round(GOAL * 100)}pct_of_ceiling"] = fraction >= GOAL
    return found, goals


def say(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def main() -> None:
    small = quick()
    sizes = work(small)
    servers: dict[str, dict[str, Any]] = {}
    info: dict[str, Any] = {}
    quiet = contextlib.redirect_stdout(io.StringIO())  # the client prints a link per run
    with tempfile.TemporaryDirectory() as tmp:
        roots = {name: Path(tmp) / name
                 for name in ("sluice", "null", "mlflow_w1", "mlflow_default")}
        for root in roots.values():
            root.mkdir()
        with sluice_server(roots["sluice"]) as sluice, null_server(roots["null"]) as null, \
                quiet:
            say(f"sluice up in {sluice['start_s']:.1f} s, null in {null['start_s']:.1f} s")
            ours, top = PerCall(sluice, sizes), PerCall(null, sizes)
            os.environ["MLFLOW_TRACKING_TOKEN"] = sluice["token"]  # both clients send it
            times = alternate({"sluice runs": ours.runs, "null runs": top.runs})
            times |= alternate({"sluice log_metric": ours.log_metrics,
                                "null log_metric": top.log_metrics})
            for name in ("sluice", "null"):
                servers[name] = per_call_rates({"runs": times[f"{name} runs"],
                                                "log_metric": times[f"{name} log_metric"]},
                                               sizes)
                say(name, servers[name])
            servers["null"] = {"server_start_s": round(null["start_s"], 2), **servers["null"]}
            use(sluice)
            servers["sluice"] = full(sluice, ours, servers["sluice"])
            say("sluice", servers["sluice"])
        for name, workers in (("mlflow_w1", 1), ("mlflow_default", None)):
            with mlflow_server(roots[name], workers) as server, quiet:
                say(f"{name} up in {server['start_s']:.1f} s ({server['processes']} processes)")
                info[name] = {"workers": server["workers"], "processes": server["processes"]}
                calls = PerCall(server, sizes)
                t = {"runs": timed(calls.runs, sizes["repeat"]),
                     "log_metric": timed(calls.log_metrics, sizes["repeat"])}
                servers[name] = full(server, calls, per_call_rates(t, sizes))
                say(name, servers[name])
    found, goals = ceiling(servers)
    result = {"servers": servers,
              "ratios": {"what": "Sluice / MLflow speed (>1: Sluice faster), of medians",
                         "vs_mlflow_w1": ratios(servers["sluice"], servers["mlflow_w1"]),
                         "vs_mlflow_default": ratios(servers["sluice"],
                                                     servers["mlflow_default"])},
              "ceiling": found, "goals": goals, "methods": METHODS}
    save("tracking", result, settings={**sizes, "mlflow_servers": info,
                                       "alternated": ["sluice", "null"],
                                       "batch_size": BATCH, "params_per_run": PARAMS_PER_RUN})


if __name__ == "__main__":
    main()
