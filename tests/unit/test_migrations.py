"""The Alembic migrations build exactly the schema the ORM declares, on both databases."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sluice.storage.metadata.schema import Base


def test_migrations_match_the_orm(db_platform):
    with db_platform.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrate_twice_is_harmless(db_platform):
    db_platform.db.migrate()
    db_platform.db.migrate()


def test_head_constant_matches_the_scripts(platform):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from sluice.migrations import HEAD
    from sluice.storage.metadata.database import _MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD
    assert platform.db.revision() == HEAD


def test_0006_moves_stream_passwords_out_of_shown_params(tmp_path):
    """A consumer started before 0006 showed its password; the upgrade hides it."""
    import sqlalchemy as sa

    from sluice.storage.metadata.database import Database

    db = Database(f"sqlite:///{tmp_path / 'm.db'}", lock_dir=tmp_path / "locks")
    with upgraded_to(db, "0005") as conn:
        conn.execute(sa.text("INSERT INTO projects (id, name, description, created_at) "
                             "VALUES ('p', 'default', '', CURRENT_TIMESTAMP)"))
        conn.execute(sa.text(
            "INSERT INTO jobs (id, project_id, kind, params, state, progress_done, message, "
            "created_at, created_by, attempts, cancel_requested) VALUES ('j', 'p', "
            "'stream.redis', :params, 'failed', 0, '', CURRENT_TIMESTAMP, 'a', 1, 0)"),
            {"params": '{"url": "redis://u:hunter2@127.0.0.1:6379/0", "stream": "s"}'})
        conn.execute(sa.text(
            "INSERT INTO jobs (id, project_id, kind, params, state, progress_done, message, "
            "created_at, created_by, attempts, cancel_requested) VALUES ('k', 'p', "
            "'stream.redis', :params, 'failed', 0, :message, CURRENT_TIMESTAMP, 'a', 1, 0)"),
            {"params": '{"url": "redis://127.0.0.1:6379/0?password=hunter3", "stream": "s"}',
             "message": "Redis at redis://127.0.0.1:6379/0?password=hunter3 failed"})
    db.migrate()
    with db.engine.connect() as conn:
        shown = conn.execute(sa.text("SELECT params, message FROM jobs ORDER BY id")).all()
        secrets = conn.execute(sa.text("SELECT secrets FROM jobs ORDER BY id")).all()
    assert "hunter" not in str(shown) and "redis://u@127.0.0.1:6379/0" in str(shown)
    assert "hunter2" in str(secrets) and "hunter3" in str(secrets)
    db.dispose()


@contextmanager
def upgraded_to(db: Any, revision: str, *, down: bool = False) -> Iterator[Any]:
    """A connection to ``db`` migrated up (or ``down``) to ``revision``, committed on
    leaving."""
    from alembic import command
    from alembic.config import Config

    from sluice.storage.metadata.database import _MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)
        yield conn


def downgraded_to(db: Any, revision: str) -> Any:
    return upgraded_to(db, revision, down=True)
