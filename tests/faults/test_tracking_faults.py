"""Tracking under stress and attack: concurrent metric writers on SQLite and PostgreSQL,
artifact paths that try to escape their store, and a 1 GB artifact that must stream."""

from __future__ import annotations

import hashlib
import http.client
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sluice.errors import InvalidInput

WRITER = """
import sys
from sluice.core.tracking.models import Metric
from sluice.platform import Platform
from sluice.settings import load_settings
p = Platform.open(load_settings(env={{}}, home={home!r}, database_url={url!r}), migrate=False)
ctx = p.local_context()
own, shared, w = sys.argv[1], sys.argv[2], int(sys.argv[3])
for start in range(0, 10_000, 500):
    batch = [Metric(key="loss", value=i / 10_000, step=i) for i in range(start, start + 500)]
    p.tracking.runs.log_batch(ctx, own, metrics=batch)
    p.tracking.runs.log_batch(ctx, shared, metrics=[
        Metric(key=f"w{{w}}", value=m.value, step=m.step) for m in batch])
p.close()
"""


def test_eight_processes_log_ten_thousand_metrics_each(db_platform: Any) -> None:
    ctx = db_platform.local_context()
    tracking = db_platform.tracking
    exp = tracking.experiments.create(ctx, "stress")
    shared = tracking.runs.create(ctx, exp.id, name="shared")
    own = [tracking.runs.create(ctx, exp.id, name=f"w{w}") for w in range(8)]
    script = WRITER.format(home=str(db_platform.settings.home),
                           url=db_platform.settings.resolved_database_url)
    procs = [subprocess.Popen([sys.executable, "-c", script, run.id, shared.id, str(w)],
                              stderr=subprocess.PIPE) for w, run in enumerate(own)]
    errors = [p.communicate(timeout=240)[1].decode()[-2000:] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errors
    for w, run in enumerate(own):
        history = tracking.runs.history(ctx, run.id, "loss").metrics
        assert [m.step for m in history] == list(range(10_000))
        assert tracking.runs.get(ctx, run.id).metrics["loss"].step == 9_999
        shared_history = tracking.runs.history(ctx, shared.id, f"w{w}").metrics
        assert len(shared_history) == 10_000
    latest = tracking.runs.get(ctx, shared.id).metrics
    assert sorted(latest) == [f"w{w}" for w in range(8)]
    assert {m.step for m in latest.values()} == {9_999}


ESCAPES = [
    ("dot-dot", "../../../../etc/passwd"),
    ("nested dot-dot", "docs/../../other-run/artifacts/x"),
    ("absolute", "/etc/passwd"),
    ("empty segment", "docs//x"),
    ("url-encoded", "%2e%2e/%2e%2e/etc/passwd"),
    ("double-encoded", "%252e%252e%252fetc%252fpasswd"),
    ("encoded slash", "..%2f..%2fetc%2fpasswd"),
    ("windows separators", "..\\..\\windows\\win.ini"),
    ("windows drive", "C:\\Windows\\win.ini"),
    ("nul byte", "x%00.txt"),
]


@pytest.mark.parametrize(("case", "path"), ESCAPES, ids=[c for c, _ in ESCAPES])
def test_escaping_artifact_paths_are_refused(case: str, path: str, live_server: Any) -> None:
    from sluice.sdk.remote import RemoteClient

    client = RemoteClient(live_server.url, live_server.token)
    with client.run(experiment="escapes") as run:
        pass
    root = f"{run.experiment_id}/{run.id}/artifacts"
    raw = path.replace("\\", "%5C")
    routes = [("PUT", f"/api/2.0/mlflow-artifacts/artifacts/{root}/{raw}"),
              ("GET", f"/api/2.0/mlflow-artifacts/artifacts/{root}/{raw}"),
              ("GET", f"/api/2.0/mlflow-artifacts/artifacts?path={root}/{raw}"),
              ("PUT", f"/api/v1/runs/{run.id}/artifacts/{raw}"),
              ("GET", f"/api/v1/runs/{run.id}/artifacts?path={raw}")]
    for method, url in routes:
        status, body = _raw_request(live_server, method, url, b"stolen")
        assert status in (400, 404), (case, method, url, status, body)
        assert status == 400 or "not_found" in body or "RESOURCE_DOES_NOT_EXIST" in body
    assert client.runs.artifacts(run.id) == []  # nothing was stored anywhere
    with pytest.raises(InvalidInput):
        client.runs.upload_artifact(run.id, __file__, path)
    client.close()


def test_literal_traversal_through_the_raw_socket(live_server: Any) -> None:
    """Clients normalise ``..`` away; a raw request keeps it, and it is still refused."""
    url = "/api/2.0/mlflow-artifacts/artifacts/1/x/artifacts/../../../../etc/passwd"
    status, body = _raw_request(live_server, "GET", url)
    assert status in (400, 404) and "root:" not in body


def test_symlinks_are_refused_not_followed(door_client: Any, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not upload")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "ok.txt").write_text("fine")
    (folder / "link.txt").symlink_to(secret)
    with door_client.run(experiment="links") as run:
        with pytest.raises(InvalidInput) as err:
            run.log_artifacts(folder)
        assert err.value.code == "invalid_artifact_path"
        assert "link.txt" in err.value.message
    assert door_client.runs.artifacts(run.id) == []  # refused before anything was sent


def _raw_request(server: Any, method: str, url: str, body: bytes = b"") -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.putrequest(method, url, skip_accept_encoding=True)
    conn.putheader("Authorization", f"Bearer {server.token}")
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    response = conn.getresponse()
    text = response.read().decode(errors="replace")
    conn.close()
    return response.status, text


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_a_gigabyte_artifact_streams_both_ways(live_server: Any, tmp_path: Path) -> None:
    from sluice.sdk.remote import RemoteClient

    size = 1 << 30
    big = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with big.open("wb") as fh:  # real bytes, not a sparse file
        for i in range(size // (1 << 20)):
            block = i.to_bytes(4, "big") * (1 << 18)
            digest.update(block)
            fh.write(block)
    client = RemoteClient(live_server.url, live_server.token, timeout=600)
    server_before = _peak_rss_mb(live_server.proc.pid)
    client_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with client.run(experiment="big") as run:
        stored = run.log_artifact(big)
    assert stored.size == size
    out = client.runs.download_artifact(run.id, "big.bin", tmp_path / "back.bin")
    assert out.stat().st_size == size
    back = hashlib.sha256()
    with out.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            back.update(chunk)
    assert back.hexdigest() == digest.hexdigest()
    big.unlink()
    out.unlink()
    server_growth = _peak_rss_mb(live_server.proc.pid) - server_before
    client_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - client_before
    assert server_growth < 200, f"server peak memory grew {server_growth:.0f} MB"
    assert client_growth < 200, f"client peak memory grew {client_growth:.0f} MB"
    client.close()
    os.sync()


def test_racing_writers_of_one_param_get_clear_answers(db_platform: Any) -> None:
    """Eight threads log the same param key at once: one value wins, the others hear
    ``param_changed``; the same value from everyone is fine. Never a database error."""
    from concurrent.futures import ThreadPoolExecutor

    from sluice.errors import SluiceError

    ctx = db_platform.local_context()
    tracking = db_platform.tracking
    run = tracking.runs.create(ctx, tracking.experiments.create(ctx, "race").id)

    def write(value: str) -> str:
        try:
            tracking.runs.log_batch(ctx, run.id, params={"seed": value},
                                    tags={"writer": value})
            return "ok"
        except SluiceError as exc:
            return exc.code

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(write, [str(i) for i in range(8)]))
        same = list(pool.map(lambda _: write_same(tracking, ctx, run.id), range(8)))
    assert outcomes.count("ok") == 1 and set(outcomes) <= {"ok", "param_changed"}, outcomes
    winner = tracking.runs.get(ctx, run.id).params["seed"]
    assert outcomes[int(winner)] == "ok"
    assert same == ["ok"] * 8


def write_same(tracking: Any, ctx: Any, run_id: str) -> str:
    tracking.runs.log_batch(ctx, run_id, params={"lr": "0.1"})
    return "ok"
