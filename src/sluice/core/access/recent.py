"""Callers admitted a moment ago, kept in memory so most requests skip the database.

Resolving a request's token and project takes a few queries in a worker thread, about
half of a small request's time; most requests repeat the answer of the one before. So
(token, project asked for) -> (principal, context) is kept for ``ttl`` seconds. Any write
through SQLAlchemy to the tables that decide access (tokens, users, project members,
roles, projects) in this process empties it when it flushes and again when it commits,
so a revoked token, a removed member or a changed role takes effect at once here; another
process (a second server worker, a CLI on the same workspace) sees it within ``ttl``.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction

from sluice.core.context import Ctx, Principal

WATCHED = frozenset({"tokens", "users", "project_members", "roles", "projects"})
MAX_ENTRIES = 10_000
_changes = itertools.count(1)
_generation = 0
_lock = threading.Lock()


def generation() -> int:
    """How many changes to access this process has seen; entries from before are stale."""
    return _generation


def changed() -> None:
    global _generation
    with _lock:
        _generation = next(_changes)


@dataclass(frozen=True)
class Recent:
    principal: Principal
    ctx: Ctx | None  # None: admitted where no project was needed
    until: float
    seen: int


class RecentCallers:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[str, str | None], Recent] = {}

    def lookup(self, token: str, project: str | None) -> Recent | None:
        if self.ttl <= 0:
            return None
        key = (_digest(token), project)
        found = self._entries.get(key)
        if found is None:
            return None
        if found.seen != generation() or time.monotonic() >= found.until:
            self._entries.pop(key, None)
            return None
        return found

    def remember(self, token: str, project: str | None, principal: Principal,
                 ctx: Ctx | None, seen: int) -> None:
        """Keep an answer worked out since generation ``seen`` (dropped if access changed
        meanwhile: it may predate the change)."""
        if self.ttl <= 0 or seen != generation():
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[(_digest(token), project)] = Recent(
            principal, ctx, time.monotonic() + self.ttl, seen)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


IGNORED = frozenset({"last_used_at"})  # a token's use is noted, not a change of access


def _touches_access(objects: Any) -> bool:
    return any(getattr(o, "__tablename__", None) in WATCHED for o in objects)


def _changed_access(objects: Any) -> bool:
    for o in objects:
        if getattr(o, "__tablename__", None) in WATCHED:
            changed_attrs = {a.key for a in inspect(o).attrs if a.history.has_changes()}
            if changed_attrs - IGNORED:
                return True
    return False


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: Any) -> None:
    if _touches_access((*session.new, *session.deleted)) or _changed_access(session.dirty):
        session.info["sluice.access_changed"] = True
        changed()


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: Any) -> None:
    table = getattr(state.statement, "table", None)
    if (state.is_update or state.is_delete) and getattr(table, "name", None) in WATCHED:
        state.session.info["sluice.access_changed"] = True
        changed()


@event.listens_for(Session, "after_transaction_end")
def _after_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and session.info.pop("sluice.access_changed", False):
        changed()  # again once committed (or rolled back): a read in between is stale
