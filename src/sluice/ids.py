"""Sortable ids and the clock: every id is a ULID, every timestamp UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from ulid import ULID


def new_id() -> str:
    """A new lexicographically sortable id (26 characters, Crockford base32)."""
    return str(ULID())


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
