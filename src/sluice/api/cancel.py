"""Running a model call for a request: off the shared request threads, one generation at
a time, bounded, and stopped when the client goes away.

- Generations take :func:`llm_turn` first: requests wait for the model on the event loop
  (holding no thread), at most ``LLM_WAIT`` seconds, then get 503 ``llm_busy`` — before
  any model time is reserved, so waiting costs a user nothing.
- Model work (a generation joined into one reply, embeddings) runs on a small pool of its
  own; past ``MAX_WAITING`` queued calls, 503 ``model_busy``. A streamed reply is read by
  one thread of its own, which hands the pieces to the event loop.
- The event loop watches the connection and sets the call's ``cancel`` event on a
  disconnect (non-streamed replies) or when the response stream is closed (streamed ones).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from fastapi import Request

from sluice.errors import Unavailable

POLL_SECONDS = 0.25
WORKERS = 4
MAX_WAITING = 32
LLM_WAIT = 30.0
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
        future = self._pool.submit(fn)
        future.add_done_callback(self._done)  # counts until the work ends, not the wait
        return await asyncio.wrap_future(future)

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._busy -= 1


MODELS = ModelPool()
_GATE: asyncio.Semaphore | None = None


@asynccontextmanager
async def llm_turn() -> AsyncIterator[None]:
    """This process's one generation slot, waited for on the event loop."""
    global _GATE
    if _GATE is None:
        _GATE = asyncio.Semaphore(1)
    try:
        await asyncio.wait_for(_GATE.acquire(), LLM_WAIT)
    except TimeoutError:
        raise Unavailable("the model is busy with other requests; retry shortly",
                          code="llm_busy", details={"waited_seconds": LLM_WAIT}) from None
    try:
        yield
    finally:
        _GATE.release()


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
    """The pieces as an async stream, read by a thread of its own; closing the stream (the
    client left) cancels the call, and the thread ends with the generation."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()

    def read() -> None:
        try:
            for piece in pieces:
                loop.call_soon_threadsafe(queue.put_nowait, piece)
        except BaseException as exc:  # handed to the stream, raised there
            loop.call_soon_threadsafe(queue.put_nowait, exc)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, _END)

    threading.Thread(target=read, daemon=True, name="sluice-stream").start()
    try:
        while (item := await queue.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield str(item)
    finally:
        cancel.set()
