"""Running a model call for a request so that a client that goes away stops it.

Generation runs on a worker thread; meanwhile the event loop watches the connection and
sets the call's ``cancel`` event on a disconnect (non-streamed replies) or when the
response stream is closed (streamed replies), so no abandoned request keeps a core busy.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

POLL_SECONDS = 0.25
T = TypeVar("T")
_END = object()


async def collect(request: Request, pieces: Iterator[str], cancel: threading.Event) -> str:
    """``"".join(pieces)`` on a worker thread, cancelled if the client disconnects."""
    return await run_cancellable(request, lambda: "".join(pieces), cancel)


async def run_cancellable(request: Request, fn: Callable[[], T], cancel: threading.Event) -> T:
    """``fn()`` on a worker thread; ``cancel`` is set if the client disconnects first."""
    task = asyncio.ensure_future(run_in_threadpool(fn))
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
            piece = await run_in_threadpool(next, pieces, _END)
            if piece is _END:
                return
            yield str(piece)
    finally:
        cancel.set()
