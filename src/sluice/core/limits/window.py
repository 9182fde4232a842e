"""A sliding window of amounts per key: how much a caller used in the last N seconds."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_KEYS = 100_000  # forget the oldest callers beyond this many (bounded memory)


class Entry:
    """One amount in the window; :meth:`SlidingWindow.settle` may change it later (a
    reservation that becomes what was really used)."""

    __slots__ = ("amount", "at")

    def __init__(self, at: float, amount: float) -> None:
        self.at = at
        self.amount = amount


class SlidingWindow:
    """Thread-safe; ``clock`` is injectable for tests."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._events: dict[str, deque[Entry]] = {}
        self._lock = threading.Lock()

    def used(self, key: str) -> float:
        """The total added under ``key`` within the window."""
        with self._lock:
            return sum(e.amount for e in self._recent(key))

    def add(self, key: str, amount: float = 1.0) -> Entry:
        with self._lock:
            entry = Entry(self.clock(), amount)
            self._recent(key).append(entry)
            if len(self._events) > MAX_KEYS:
                self._events.pop(next(iter(self._events)))
            return entry

    def settle(self, entry: Entry, amount: float) -> None:
        with self._lock:
            entry.amount = amount

    def retry_after(self, key: str) -> float:
        """Seconds until the oldest entry under ``key`` leaves the window."""
        with self._lock:
            events = self._recent(key)
            if not events:
                return 0.0
            return max(0.0, events[0].at + self.seconds - self.clock())

    def _recent(self, key: str) -> deque[Entry]:
        events = self._events.setdefault(key, deque())
        cutoff = self.clock() - self.seconds
        while events and events[0].at <= cutoff:
            events.popleft()
        return events
