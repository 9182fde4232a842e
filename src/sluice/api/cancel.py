"""Running a model call for a request: off the shared request threads, bounded, and
stopped when the client goes away.

Model work (generation, embedding) runs on a small pool of its own, so a flood of model
requests queues there (and past ``MAX_WAITING`` is told the model is busy, 503) instead
of taking every thread the other routes need. Meanwhile the event loop watches the
connection and sets the call's ``cancel`` event on a disconnect (non-streamed replies) or
when the response stream is closed (streamed replies).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from fastapi import Request

from sluice.errors import Unavailable

POLL_SECONDS = 0.25
WORKERS = 4
MAX_WAITING = 32
T = TypeVar("T")
_END = object()


class ModelPool:
    """A bounded thread pool for model calls."""

    def __init__(self, workers: int = WORKERS, max_waiting: int = MAX_WAITING) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sluice-model")
        self._max = workers + max_waiting
        self._busy = 0
        self._lock = threading.Lock()

    async def run(self, fn: Callable[[], T]) -> T:
        """``fn()`` on the pool. Raises Unavailable (``model_busy``) when it is full."""
        with self._lock:
            if self._busy >= self._max:
                raise Unavailable("the model is busy with other requests; retry shortly",
                                  code="model_busy")
            self._busy += 1
        try:
            return await asyncio.wrap_future(self._pool.submit(fn))
        finally:
            with self._lock:
                self._busy -= 1


MODELS = ModelPool()


async def collect(request: Request, pieces: Iterator[str], cancel: threading.Event) -> str:
    """``"".join(pieces)`` on the model pool, cancelled if the client disconnects."""
    return await run_cancellable(request, lambda: "".join(pieces), cancel)


async def run_cancellable(request: Request, fn: Callable[[], T], cancel: threading.Event) -> T:
    """``fn()`` on the model pool; ``cancel`` is set if the client disconnects first."""
    task = asyncio.ensure_future(MODELS.run(fn))
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=POLL_SECONDS)
            if not task.done() and await request.is_disconnected():
                cancel.set()
        return task.result()
    finally:
        if not task.done():
            cancel.set()


async def relay(pieces: Iterator[str], cancel: threading.Event) -> AsyncIterator[str]:
    """The pieces as an async stream; closing it (the client left) cancels the call."""
    try:
        while True:
            piece = await MODELS.run(lambda: next(pieces, _END))
            if piece is _END:
                return
            yield str(piece)
    finally:
        cancel.set()
