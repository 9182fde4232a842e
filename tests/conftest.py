"""Shared fixtures: real engines (SQLite, PostgreSQL, Lance, DuckDB, SeaweedFS S3, Redis,
uvicorn, Chromium), isolated per test or started once per session."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sluice.platform import Platform
from sluice.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_BASE = os.environ.get("SLUICE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
STOP_SECONDS = 10.0


def pytest_configure(config: pytest.Config) -> None:
    # Tests must not pick up a developer's workspace or server settings.
    for key in list(os.environ):
        if key.startswith("SLUICE_") and key != "SLUICE_TEST_PG":
            del os.environ[key]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def shared_data(name: str) -> Path:
    """A dataset from ../shared/data; skipped when absent, an error under CI=true."""
    path = SHARED_DATA / name
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing; CI always provides ../shared/data")
        pytest.skip(f"{path} is not here (tests read real data from ../shared/data)")
    return path


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        base: dict[str, Any] = {"home": tmp_path / "home", "executor": "thread",
                                "job_stale_seconds": 30.0}
        base.update(overrides)
        return load_settings(env={}, **base)

    return make


def _open(settings: Settings) -> Iterator[Platform]:
    platform = Platform.open(settings)
    platform.bootstrap()
    try:
        yield platform
    finally:
        platform.close()


@pytest.fixture
def platform(make_settings: Callable[..., Settings]) -> Iterator[Platform]:
    """A fresh workspace on SQLite and a local store; jobs run on threads."""
    yield from _open(make_settings())


@pytest.fixture(scope="session")
def pg_available() -> bool:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(PG_BASE)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except Exception as exc:  # no server here
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        return False


@pytest.fixture
def pg_url(pg_available: bool) -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards."""
    if not pg_available:
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    import sqlalchemy as sa

    schema = "t_" + secrets.token_hex(6)
    engine = sa.create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_platform(request: pytest.FixtureRequest,
                make_settings: Callable[..., Settings]) -> Iterator[Platform]:
    """The same tests on SQLite and on PostgreSQL."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        yield from _open(make_settings(database_url=url))
    else:
        yield from _open(make_settings())


@pytest.fixture
def ctx(platform: Platform) -> Any:
    return platform.local_context()


@pytest.fixture
def admin_token(platform: Platform) -> str:
    return (platform.settings.home / "admin-token").read_text().strip()


@pytest.fixture
def app(platform: Platform) -> Any:
    from sluice.api.app import create_app

    return create_app(platform, background=False)


@pytest.fixture
def http(app: Any, admin_token: str) -> Iterator[Any]:
    """An in-process HTTP client carrying the admin token."""
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as client:
        client.headers["Authorization"] = f"Bearer {admin_token}"
        yield client


@pytest.fixture
def anon(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.fixture(params=["local", "remote"])
def door_client(request: pytest.FixtureRequest, platform: Platform, app: Any,
                admin_token: str) -> Iterator[Any]:
    """The local and the remote client on one SQLite workspace (for slow tests)."""
    from sluice.sdk.local import LocalClient

    if request.param == "local":
        yield LocalClient(platform, platform.local_context(), owns_platform=False)
        return
    from fastapi.testclient import TestClient

    from sluice.sdk.remote import RemoteClient

    with TestClient(app, base_url="http://testserver") as tc:
        yield RemoteClient("http://testserver", admin_token, http_client=tc)


@pytest.fixture(params=["local", "remote",
                        pytest.param("local-postgresql", marks=pytest.mark.pg)])
def client(request: pytest.FixtureRequest, make_settings: Callable[..., Settings],
           platform: Platform, app: Any, admin_token: str) -> Iterator[Any]:
    """The SDK client in-process and over REST (the contract is the same), and in-process
    on PostgreSQL metadata (the dataset suite runs on both databases)."""
    from sluice.sdk.local import LocalClient

    if request.param == "local":
        yield LocalClient(platform, platform.local_context(), owns_platform=False)
        return
    if request.param == "local-postgresql":
        url = request.getfixturevalue("pg_url")
        for pg_platform in _open(make_settings(home=platform.settings.home.parent / "pg",
                                               database_url=url)):
            yield LocalClient(pg_platform, pg_platform.local_context(), owns_platform=False)
        return
    from fastapi.testclient import TestClient

    from sluice.sdk.remote import RemoteClient

    with TestClient(app, base_url="http://testserver") as tc:
        remote = RemoteClient("http://testserver", admin_token, http_client=tc)
        yield remote


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """A real `sluice up` process on a free port, with its own workspace."""

    def __init__(self, home: Path, port: int, **settings: str) -> None:
        self.home = home
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.token = ""
        self.proc: Any = None
        self.settings = settings  # extra settings, e.g. stream_hosts="127.0.0.1:1"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
        env.update(SLUICE_HOME=str(self.home), SLUICE_PORT=str(self.port),
                   SLUICE_LOG_LEVEL="WARNING")
        env.update({f"SLUICE_{k.upper()}": v for k, v in self.settings.items()})
        return env

    def start(self) -> None:
        import subprocess
        import sys
        import time
        import urllib.request

        log = (self.home.parent / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sluice.cli", "up", "--json"], env=self.env(),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited; see {log.name}")
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start in 60 s")
        self.token = (self.home / "admin-token").read_text().strip()

    def stop(self) -> float:
        """SIGTERM, as an operator would; the server must be gone within 10 s (it is
        killed, and the test fails, otherwise). Returns how long it took."""
        import subprocess
        import time

        if not self.proc or self.proc.poll() is not None:
            return 0.0
        started = time.monotonic()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"`sluice up` ignored SIGTERM for {STOP_SECONDS} s") from None
        return time.monotonic() - started


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("live") / "home", free_port())
    server.start()
    yield server
    server.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``gpu`` tests are left out (deselected, not skipped) where torch sees no GPU."""
    gpu = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu:
        return
    import torch

    if not torch.cuda.is_available():
        config.hook.pytest_deselected(items=gpu)
        items[:] = [item for item in items if not item.get_closest_marker("gpu")]


@pytest.fixture
def looping_provider() -> Iterator[str]:
    """The base URL of a real OpenAI-compatible server whose model loops."""
    import http.server
    import threading

    from tests.search.providers import Looping

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Looping)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
