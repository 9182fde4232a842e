"""The event log: an outbox in the metadata database, and the subscribers that read it.

A service that changes state calls :func:`emit` with the session of that change, so the
event commits or rolls back with it: a crash can never leave a change without its event
or an event without its change.

Subscribers read the log in order from a stored cursor, at least once: a handler must be
idempotent. One that raises is retried with backoff (the cursor stays before the event)
and its failure is shown in :meth:`EventLog.subscribers`; it never reaches the writer.
Each subscriber runs in one process at a time (a database lock per subscriber); any
process may run :meth:`EventLog.dispatch` — the writer right after its change, the server
every few seconds, a reader that wants to be current.
"""

from __future__ import annotations

import builtins
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from sluice.core.context import Ctx
from sluice.core.events.models import KINDS, DomainEvent, Event, SubscriberState
from sluice.errors import Conflict, InvalidInput
from sluice.ids import utcnow
from sluice.storage.metadata.database import Database
from sluice.storage.metadata.schema import EventCursorRow, EventRow

log = logging.getLogger("sluice.events")
BATCH = 200
GAP_WAIT = timedelta(seconds=10)  # a missing id younger than this may still commit
MAX_BACKOFF = 300.0
Handler = Callable[[Event], None]


@dataclass(frozen=True)
class Subscriber:
    name: str
    kinds: frozenset[str]
    handle: Handler
    prompt: bool  # delivered right after each change, by the process that made it


def emit(s: Session, ctx: Ctx | None, event: DomainEvent) -> None:
    """Add ``event`` to the log in the transaction of ``s`` (the change it records)."""
    emit_for(s, ctx.project_id if ctx else None, ctx.actor.name if ctx else "", event)


def emit_for(s: Session, project_id: str | None, actor: str, event: DomainEvent) -> None:
    """``emit`` where the change has no caller's scope at hand (a job's worker)."""
    s.add(EventRow(at=utcnow(), project_id=project_id, kind=event.kind,
                   subject=event.subject()[:512], actor=actor[:128],
                   payload=event.model_dump(mode="json")))


class EventLog:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._subscribers: dict[str, Subscriber] = {}

    def subscribe(self, name: str, kinds: Iterable[str], handle: Handler, *,
                  prompt: bool = False) -> None:
        """Register a subscriber; its cursor starts at the beginning of the log. A
        ``prompt`` one is also delivered to right after each change (a view that follows its
        source); the others catch up when the server's loop or a reader asks."""
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            raise InvalidInput(f"unknown event kinds {unknown}", code="unknown_event_kind")
        self._subscribers[name] = Subscriber(name, frozenset(kinds), handle, prompt)

    # reading
    def list(self, ctx: Ctx, *, after: int = 0, kind: str | None = None,
             limit: int = 100) -> list[Event]:
        """The project's events after id ``after``, oldest first."""
        if kind is not None and kind not in KINDS:
            raise InvalidInput(f"unknown event kind {kind!r}; kinds: {', '.join(KINDS)}",
                               code="unknown_event_kind")
        query = select(EventRow).where(EventRow.id > after,
                                       EventRow.project_id == ctx.project_id)
        if kind is not None:
            query = query.where(EventRow.kind == kind)
        with self.db.reader() as s:
            rows = s.scalars(query.order_by(EventRow.id).limit(max(1, min(limit, 1000))))
            return [_event(r) for r in rows]

    def recent(self, ctx: Ctx, *, limit: int = 100) -> builtins.list[Event]:
        """The project's newest events, newest first."""
        with self.db.reader() as s:
            rows = s.scalars(select(EventRow).where(EventRow.project_id == ctx.project_id)
                             .order_by(EventRow.id.desc()).limit(max(1, min(limit, 1000))))
            return [_event(r) for r in rows]

    def subscribers(self) -> builtins.list[SubscriberState]:
        """Each subscriber's position, how far behind it is, and its last failure."""
        states = []
        with self.db.reader() as s:
            for sub in self._subscribers.values():
                cursor = s.get(EventCursorRow, sub.name)
                position = cursor.position if cursor else 0
                lag = s.scalar(select(func.count()).select_from(EventRow).where(
                    EventRow.id > position, EventRow.kind.in_(sub.kinds))) or 0
                states.append(SubscriberState(
                    name=sub.name, kinds=sorted(sub.kinds), position=position, lag=int(lag),
                    failures=cursor.failures if cursor else 0,
                    last_error=cursor.last_error if cursor else None,
                    retry_at=cursor.retry_at if cursor else None))
        return states

    # delivering
    def dispatch(self, *, budget: float = 2.0, prompt_only: bool = False) -> int:
        """Deliver pending events to every subscriber (or only the prompt ones; those
        another process is serving are skipped); stops after about ``budget`` seconds.
        Returns how many were handled."""
        deadline = time.monotonic() + budget
        handled = 0
        for sub in list(self._subscribers.values()):
            if time.monotonic() >= deadline:
                break
            if prompt_only and not sub.prompt:
                continue
            try:
                with self.db.lock(f"events:{sub.name}", wait=0.0):
                    handled += self._deliver(sub, deadline)
            except Conflict:
                continue  # another process is delivering to it
        return handled

    def _deliver(self, sub: Subscriber, deadline: float) -> int:
        cursor = self._cursor(sub.name)
        if cursor.retry_at is not None and cursor.retry_at > utcnow():
            return 0
        handled = 0
        while time.monotonic() < deadline:
            events = self._after(cursor.position)
            if not events:
                break
            position, count, failed = self._run(sub, cursor.position, events, deadline)
            handled += count
            self._save(sub.name, position, failed)
            if failed is not None or position == cursor.position:
                break
            cursor.position = position
        return handled

    def _run(self, sub: Subscriber, position: int, events: builtins.list[Event],
             deadline: float) -> tuple[int, int, BaseException | None]:
        count = 0
        for event in events:
            if event.id != position + 1 and self._gap_may_fill(event):
                break  # an earlier transaction may still commit its event
            if event.kind in sub.kinds:
                try:
                    sub.handle(event)
                except Exception as exc:
                    log.exception("subscriber %s failed on event %d", sub.name, event.id)
                    return position, count, exc
                count += 1
            position = event.id
            if time.monotonic() >= deadline:
                break
        return position, count, None

    def _gap_may_fill(self, event: Event) -> bool:
        """Whether an id missing before ``event`` may still commit: for ``GAP_WAIT`` after
        the event, unless (on PostgreSQL, where a rolled-back insert leaves a gap for good)
        no other open transaction has written to the log: the one that took the missing
        id would still hold its write lock on the table."""
        if utcnow() - event.at >= GAP_WAIT:
            return False
        if self.db.is_sqlite:
            return True  # one writer at a time, and a rollback leaves no gap
        with self.db.reader() as s:
            writers = s.scalar(text(
                "SELECT count(*) FROM pg_locks WHERE relation = to_regclass(:table) "
                "AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()"),
                {"table": EventRow.__tablename__})
        return bool(writers)

    def _cursor(self, name: str) -> EventCursorRow:
        with self.db.reader() as s:
            found = s.get(EventCursorRow, name)
            if found is not None:
                s.expunge(found)
                return found
        with self.db.session() as s:
            cursor = s.get(EventCursorRow, name)
            if cursor is None:
                cursor = EventCursorRow(subscriber=name, position=0, updated_at=utcnow(),
                                        failures=0)
                s.add(cursor)
            s.flush()
            s.expunge(cursor)
            return cursor

    def _after(self, position: int) -> builtins.list[Event]:
        with self.db.reader() as s:
            rows = s.scalars(select(EventRow).where(EventRow.id > position)
                             .order_by(EventRow.id).limit(BATCH))
            return [_event(r) for r in rows]

    def _save(self, name: str, position: int, failed: BaseException | None) -> None:
        with self.db.session() as s:
            cursor = s.get(EventCursorRow, name)
            assert cursor is not None
            cursor.position, cursor.updated_at = position, utcnow()
            if failed is None:
                cursor.failures, cursor.last_error, cursor.retry_at = 0, None, None
                return
            cursor.failures += 1
            cursor.last_error = f"{type(failed).__name__}: {failed}"[:2000]
            delay = min(MAX_BACKOFF, 2.0 ** (cursor.failures - 1))
            cursor.retry_at = utcnow() + timedelta(seconds=delay)


def _event(row: EventRow) -> Event:
    return Event(id=row.id, at=row.at, project_id=row.project_id, kind=row.kind,
                 subject=row.subject, actor=row.actor, payload=row.payload or {})
