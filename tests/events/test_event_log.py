"""The event log: written with the change it records, read in order from a stored cursor,
at least once; failing subscribers retried with backoff and reported; a crash between a
change and its subscriber is caught up after restart without applying anything twice."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from sluice.core.events import log as event_log
from sluice.core.events.log import emit
from sluice.core.events.models import DatasetCommitted, Event
from sluice.errors import InvalidInput
from sluice.ids import utcnow
from sluice.platform import Platform
from sluice.settings import load_settings
from sluice.storage.metadata.schema import (
    EventCursorRow,
    EventRow,
    JobRow,
    LineageEdgeRow,
    LineageNodeRow,
)

ROWS = [{"title": "volcano", "text": "Magma rises through the crust and erupts as lava."},
        {"title": "bread", "text": "Sourdough needs a starter of wild yeast and flour."}]


def _events(platform: Platform, kind: str | None = None) -> list[Event]:
    return platform.events.list(platform.local_context(), kind=kind, limit=1000)


def test_a_commit_writes_its_event_and_a_rolled_back_change_writes_none(platform: Platform):
    ctx = platform.local_context()
    platform.appends.append(ctx, "notes", ROWS, key_column="title")
    [event] = _events(platform, "dataset.committed")
    typed = event.typed()
    assert isinstance(typed, DatasetCommitted) and event.subject == "notes@1"
    assert (typed.version, typed.row_count, typed.operation) == (1, 2, "append")
    before = len(_events(platform))
    with pytest.raises(RuntimeError), platform.db.session() as s:
        emit(s, ctx, DatasetCommitted(dataset="x", version=1, dataset_kind="table",
                                      operation="append", row_count=0))
        raise RuntimeError("the change failed")
    assert len(_events(platform)) == before


def test_unknown_event_kinds_are_refused(platform: Platform) -> None:
    with pytest.raises(InvalidInput) as listed:
        platform.events.list(platform.local_context(), kind="dataset.exploded")
    assert listed.value.code == "unknown_event_kind"
    with pytest.raises(InvalidInput) as subscribed:
        platform.events.subscribe("x", ["dataset.exploded"], lambda e: None)
    assert subscribed.value.code == "unknown_event_kind"


def test_a_failing_subscriber_is_retried_with_backoff_and_never_reaches_the_writer(
        platform: Platform) -> None:
    seen: list[int] = []
    failures = {"left": 2}

    def flaky(event: Event) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("the index is down")
        seen.append(event.id)

    platform.events.subscribe("flaky", ["dataset.committed"], flaky, prompt=True)
    platform.events.subscribe("broken", ["dataset.committed"],
                              lambda e: (_ for _ in ()).throw(ValueError("always")),
                              prompt=True)
    ctx = platform.local_context()
    version = platform.appends.append(ctx, "notes", ROWS, key_column="title").version
    assert version == 1  # the writer never saw the subscribers fail
    state = {s.name: s for s in platform.events.subscribers()}
    assert state["flaky"].failures == 1 and "index is down" in (state["flaky"].last_error or "")
    assert state["flaky"].retry_at is not None and state["flaky"].lag == 1
    assert state["lineage"].lag == 1  # not prompt: it catches up when asked
    platform.events.dispatch()
    assert seen == []  # backing off: not retried before retry_at
    for _ in range(2):
        _retry_now(platform, "flaky")
        platform.events.dispatch()
    state = {s.name: s for s in platform.events.subscribers()}
    assert len(seen) == 1 and state["flaky"].failures == 0 and state["flaky"].lag == 0
    assert state["broken"].failures >= 1 and state["broken"].lag == 1
    assert state["lineage"].lag == 0  # one broken subscriber holds up no other


def _retry_now(platform: Platform, name: str) -> None:
    with platform.db.session() as s:
        s.execute(update(EventCursorRow).where(EventCursorRow.subscriber == name)
                  .values(retry_at=utcnow() - timedelta(seconds=1)))


def test_a_gap_in_the_log_is_waited_for_then_passed(platform: Platform,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    platform.events.subscribe("probe", ["dataset.committed"], lambda e: seen.append(e.id))
    platform.events.dispatch()
    with platform.db.session() as s:
        last = s.scalar(select(func.max(EventRow.id))) or 0
        s.add(EventRow(id=last + 3, at=utcnow(), project_id=None, kind="dataset.committed",
                       subject="x@1", actor="", payload={
                           "dataset": "x", "version": 1, "dataset_kind": "table",
                           "operation": "append", "row_count": 0}))
    platform.events.dispatch()
    assert seen == []  # ids last+1 and last+2 may still commit
    monkeypatch.setattr(event_log, "GAP_WAIT", timedelta(0))
    platform.events.dispatch()
    assert seen == [last + 3]


CHILD = """
import os, signal
from sluice.core.events.log import EventLog
from sluice.platform import Platform
from sluice.settings import load_settings

p = Platform.open(load_settings(env={{}}, home={home!r}, executor="thread"))
EventLog.dispatch = lambda self, **kw: os.kill(os.getpid(), signal.SIGKILL)
p.appends.append(p.local_context(), "notes",
                 [{{"title": "glacier", "text": "Glaciers carve valleys very slowly."}}])
"""


@pytest.mark.slow
def test_sigkill_between_a_change_and_its_subscribers_is_caught_up_once(tmp_path: Any) -> None:
    home = tmp_path / "home"
    settings = load_settings(env={}, home=home, executor="thread")
    platform = Platform.open(settings)
    ctx = platform.local_context()
    platform.appends.append(ctx, "notes", ROWS, key_column="title")
    platform.views.create(ctx, "notes_chunks", "notes", chunk_size=40, chunk_overlap=5)
    [first_sync] = platform.jobs.list(ctx, kind="views.sync")
    platform.jobs.wait(ctx, first_sync.id, timeout=120)
    platform.close()

    child = subprocess.run([sys.executable, "-c", CHILD.format(home=str(home))],
                           capture_output=True, text=True, timeout=120, check=False)
    assert child.returncode == -9, child.stderr

    platform = Platform.open(settings)
    try:
        ctx = platform.local_context()
        [event] = [e for e in _events(platform, "dataset.committed") if e.subject == "notes@2"]
        assert all(s.position < event.id for s in platform.events.subscribers())
        platform.events.dispatch()
        syncs = platform.jobs.list(ctx, kind="views.sync", limit=10)
        assert len(syncs) == 2  # the view's first sync, and one for notes@2
        platform.jobs.wait(ctx, syncs[0].id, timeout=120)
        assert platform.views.get(ctx, "notes_chunks").source_version == 2
        platform.events.dispatch()  # the lineage catches up with the sync's own version
        counts = _lineage_counts(platform)
        with platform.db.session() as s:  # deliver everything again, as after a crash
            s.execute(update(EventCursorRow).values(position=0))
        platform.events.dispatch()
        assert len(platform.jobs.list(ctx, kind="views.sync", limit=10)) == 2
        assert _lineage_counts(platform) == counts
        graph = platform.lineage.graph(ctx, "notes_chunks@2")
        assert {n.label for n in graph.nodes} >= {"notes@2", "notes@1", "notes_chunks@1"}
    finally:
        platform.close()


def _lineage_counts(platform: Platform) -> tuple[int, int, int]:
    with platform.db.session() as s:
        return (s.scalar(select(func.count()).select_from(LineageNodeRow)) or 0,
                s.scalar(select(func.count()).select_from(LineageEdgeRow)) or 0,
                s.scalar(select(func.count()).select_from(JobRow)) or 0)


@pytest.mark.pg
def test_on_postgresql_a_gap_no_open_writer_can_fill_is_passed(
        make_settings: Any, pg_url: str) -> None:
    """PostgreSQL's rolled-back inserts leave gaps for good: while the writer that took the
    missing id is open the subscriber waits; once it rolled back, the gap is passed at
    once, not after GAP_WAIT."""
    import sqlalchemy as sa

    platform = Platform.open(make_settings(database_url=pg_url))
    holder = sa.create_engine(pg_url)
    try:
        seen: list[int] = []
        platform.events.subscribe("probe", ["dataset.committed"], lambda e: seen.append(e.id))
        platform.events.dispatch()
        with platform.db.session() as s:
            last = s.scalar(select(func.max(EventRow.id))) or 0
        with holder.connect() as open_writer:
            open_writer.execute(sa.insert(EventRow).values(_event(last + 1)))
            with platform.db.session() as s:
                s.add(EventRow(**_event(last + 3)))
            platform.events.dispatch()
            assert seen == []  # the open writer may still commit last + 1
            open_writer.rollback()
        platform.events.dispatch()
        assert seen == [last + 3]
    finally:
        holder.dispose()
        platform.close()


def _event(event_id: int) -> dict[str, Any]:
    return {"id": event_id, "at": utcnow(), "project_id": None, "kind": "dataset.committed",
            "subject": "x@1", "actor": "", "payload": {
                "dataset": "x", "version": 1, "dataset_kind": "table", "operation": "append",
                "row_count": 0}}
