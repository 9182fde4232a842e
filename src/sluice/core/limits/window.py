"""A sliding window of amounts per key: how much a caller used in the last N seconds."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_KEYS = 100_000  # forget the oldest callers beyond this many (bounded memory)


class SlidingWindow:
    """Thread-safe; ``clock`` is injectable for tests."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._events: dict[str, deque[tuple[float, float]]] = {}
        self._lock = threading.Lock()

    def used(self, key: str) -> float:
        """The total added under ``key`` within the window."""
        with self._lock:
            return sum(amount for _, amount in self._recent(key))

    def add(self, key: str, amount: float = 1.0) -> None:
        with self._lock:
            self._recent(key).append((self.clock(), amount))
            if len(self._events) > MAX_KEYS:
                self._events.pop(next(iter(self._events)))

    def retry_after(self, key: str) -> float:
        """Seconds until the oldest entry under ``key`` leaves the window."""
        with self._lock:
            events = self._recent(key)
            if not events:
                return 0.0
            return max(0.0, events[0][0] + self.seconds - self.clock())

    def _recent(self, key: str) -> deque[tuple[float, float]]:
        events = self._events.setdefault(key, deque())
        cutoff = self.clock() - self.seconds
        while events and events[0][0] <= cutoff:
            events.popleft()
        return events
