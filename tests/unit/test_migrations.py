"""The Alembic migrations build exactly the schema the ORM declares, on both databases."""

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
