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
def client(request: pytest.FixtureRequest, platform: Platform, app: Any,
           admin_token: str) -> Iterator[Any]:
    """The SDK client, once in-process and once over REST: the contract is the same."""
    from sluice.sdk.local import LocalClient

    if request.param == "local":
        yield LocalClient(platform, platform.local_context(), owns_platform=False)
        return
    from fastapi.testclient import TestClient

    from sluice.sdk.remote import RemoteClient

    with TestClient(app, base_url="http://testserver") as tc:
        remote = RemoteClient("http://testserver", admin_token, http_client=tc)
        yield remote
