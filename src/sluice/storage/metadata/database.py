"""The metadata database: engine, sessions, migrations, and a cross-process write lock.

SQLite runs in WAL mode with a busy timeout; PostgreSQL through psycopg 3. Locks are
released by the operating system or the server when their holder dies, so a killed
writer never leaves a dataset locked: ``fcntl.flock`` on a file beside the SQLite
database, ``pg_advisory_lock`` on PostgreSQL.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from sluice.errors import Conflict, Unavailable
from sluice.migrations import HEAD

_MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Database:
    """Owns the engine; hands out sessions and named locks."""

    def __init__(self, url: str, *, lock_dir: Path) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.lock_dir = lock_dir
        self.engine = _make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        readonly = self.engine.execution_options(sluice_readonly=True)
        self._readers = sessionmaker(readonly, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only unit of work (on SQLite it does not wait for the writer lock)."""
        with self._readers() as session, session.begin():
            yield session

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent, safe to race)."""
        if self.revision() == HEAD:
            return
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        with self.lock("migrations", wait=120.0), self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def revision(self) -> str | None:
        """The schema's current Alembic revision, or None on an empty database."""
        try:
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError):
            return None

    @contextmanager
    def lock(self, name: str, *, wait: float = 30.0) -> Iterator[None]:
        """Hold an exclusive lock named ``name`` across processes and machines.

        Raises:
            Conflict: the lock stayed busy for ``wait`` seconds.
        """
        locker = _sqlite_lock if self.is_sqlite else _pg_lock
        with locker(self, name, wait):
            yield

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    except Exception as exc:  # bad driver or URL
        raise Unavailable(
            f"cannot use database URL {url!r}: {exc}", code="database_unavailable"
        ) from exc


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, poolclass=QueuePool, pool_size=8, max_overflow=16,
                           connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin() issue BEGIN itself so transactions span our statements.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # A unit of work that may write takes the writer lock up front (IMMEDIATE)
        # instead of failing with SQLITE_BUSY when a read upgrades to a write.
        readonly = conn.get_execution_options().get("sluice_readonly")
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


@contextmanager
def _sqlite_lock(db: Database, name: str, wait: float) -> Iterator[None]:
    db.lock_dir.mkdir(parents=True, exist_ok=True)
    path = db.lock_dir / f"{_safe(name)}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _flock_with_wait(fd, name, wait)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _flock_with_wait(fd: int, name: str, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise _busy(name, wait) from None
            time.sleep(0.05)


@contextmanager
def _pg_lock(db: Database, name: str, wait: float) -> Iterator[None]:
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with db.engine.connect() as conn:
        deadline = time.monotonic() + wait
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            if time.monotonic() >= deadline:
                raise _busy(name, wait)
            time.sleep(0.05)
        conn.commit()
        try:
            yield
        finally:
            _pg_unlock(conn, key)


def _pg_unlock(conn: Any, key: int) -> None:
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        conn.commit()
    except OperationalError:
        pass  # the connection died; the server dropped the lock with it


def _busy(name: str, wait: float) -> Conflict:
    return Conflict(
        f"{name} is busy: another writer held it for {wait:.0f}s; try again when it finishes",
        code="locked",
        details={"lock": name},
    )


def _safe(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:32]
