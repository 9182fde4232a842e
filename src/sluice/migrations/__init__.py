"""Alembic migrations of the metadata database."""

# The newest revision; tests/unit/test_migrations.py checks it matches the scripts.
HEAD = "0009"
