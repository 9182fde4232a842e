"""Parsing files in worker processes, each file with a time limit.

A parser can hang or crash on a hostile file (deeply nested PDFs, decompression
bombs). Each worker parses one file at a time; a worker past its deadline is killed
and replaced, and the file gets a ``parse_timeout`` error row. A worker that dies
gives its file a ``parser_crashed`` row. The rest of the batch goes on either way.
Parsers import their heavy libraries lazily, so a worker starts in well under a second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection, wait

from sluice.core.ingest.parsers.base import Limits, ParsedDoc, ParseFailure


@dataclass
class ParseTask:
    key: str
    path: str
    extension: str


@dataclass
class ParseOutcome:
    task: ParseTask
    doc: ParsedDoc | None
    failure: ParseFailure | None
    seconds: float


class _Worker:
    """A parser process started with ``python -m``, so no caller's ``__main__`` is re-run."""

    def __init__(self, limits: Limits) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        cmd = [sys.executable, "-m", "sluice.core.ingest.parsers.worker", str(to_child_r),
               str(from_child_w), json.dumps(asdict(limits))]
        self.process = subprocess.Popen(cmd, pass_fds=(to_child_r, from_child_w),
                                        stdin=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self.out = Connection(to_child_w, readable=False)
        self.conn = Connection(from_child_r, writable=False)
        self.task: ParseTask | None = None
        self.started = 0.0
        self.dead = False

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until the process has started, so start-up never counts as parse time."""
        if not self.conn.poll(timeout) or self.conn.recv() != "ready":
            raise RuntimeError("a parser process did not start")

    def send(self, task: ParseTask) -> None:
        self.task, self.started = task, time.monotonic()
        self.out.send((task.path, task.extension))

    def kill(self) -> None:
        self.dead = True
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.out.close()
        self.conn.close()


class ParserPool:
    """Parse many files on ``workers`` processes; yields outcomes as they finish."""

    def __init__(self, workers: int, timeout: float, limits: Limits) -> None:
        self.workers = max(1, workers)
        self.timeout = timeout
        self.limits = limits

    def parse(self, tasks: Iterable[ParseTask]) -> Iterator[ParseOutcome]:
        pending = list(tasks)[::-1]
        workers = [_Worker(self.limits) for _ in range(min(self.workers, len(pending)))]
        try:
            for w in workers:
                w.wait_ready()
                w.send(pending.pop())
            while any(w.task for w in workers):
                yield from self._collect(workers, pending)
        finally:
            for w in workers:
                w.kill()

    def _collect(self, workers: list[_Worker], pending: list[ParseTask]) -> Iterator[ParseOutcome]:
        busy = [w for w in workers if w.task]
        deadline = min(w.started for w in busy) + self.timeout
        ready = wait([w.conn for w in busy], timeout=max(0.0, deadline - time.monotonic()))
        for w in busy:
            if w.conn in ready:
                outcome = self._receive(w)
            elif time.monotonic() - w.started >= self.timeout:
                outcome = self._fail(w, "parse_timeout",
                                     f"parsing took longer than {self.timeout:g}s and was stopped")
            else:
                continue
            yield outcome
            self._next(w, workers, pending)

    def _receive(self, w: _Worker) -> ParseOutcome:
        try:
            doc, failure = w.conn.recv()
        except (EOFError, OSError):
            return self._fail(w, "parser_crashed", "the parser process died on this file "
                                                   "(crash or out of memory)")
        assert w.task is not None
        return ParseOutcome(w.task, doc, failure, time.monotonic() - w.started)

    def _fail(self, w: _Worker, code: str, message: str) -> ParseOutcome:
        assert w.task is not None
        outcome = ParseOutcome(w.task, None, ParseFailure(code, message),
                               time.monotonic() - w.started)
        w.kill()
        return outcome

    def _next(self, w: _Worker, workers: list[_Worker], pending: list[ParseTask]) -> None:
        if w.dead:
            index = workers.index(w)
            w = workers[index] = _Worker(self.limits)
            w.wait_ready()
        w.task = None
        if pending:
            w.send(pending.pop())
