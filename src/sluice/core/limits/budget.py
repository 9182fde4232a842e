"""Model time per user: every model route admits a call before it starts and charges the
time it took afterwards, so one user (a viewer included) cannot hold the model for more
than ``model_seconds_per_minute`` or send more than ``model_requests_per_minute``."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sluice.core.context import Ctx
from sluice.core.limits.window import SlidingWindow
from sluice.errors import RateLimited

WINDOW = 60.0


class ModelBudget:
    def __init__(self, seconds_per_minute: float, requests_per_minute: int) -> None:
        self.seconds = seconds_per_minute
        self.requests = requests_per_minute
        self._time = SlidingWindow(WINDOW)
        self._calls = SlidingWindow(WINDOW)

    def admit(self, ctx: Ctx) -> float:
        """Count one request; returns the model seconds the user has left this minute.

        Raises:
            RateLimited: too many requests (``rate_limited``) or the model time is used up
                (``model_budget_exhausted``); ``details.retry_after`` says when to retry.
        """
        user = ctx.actor.user_id
        if self._calls.used(user) >= self.requests:
            raise _limited("rate_limited", f"more than {self.requests} model requests in a "
                           "minute (model_requests_per_minute)", self._calls.retry_after(user))
        left = self.seconds - self._time.used(user)
        if left <= 0:
            raise _limited("model_budget_exhausted", f"this user used its {self.seconds:g} s "
                           "of model time for this minute (model_seconds_per_minute)",
                           self._time.retry_after(user))
        self._calls.add(user)
        return left

    def charge(self, ctx: Ctx, seconds: float) -> None:
        self._time.add(ctx.actor.user_id, max(0.0, seconds))

    @contextmanager
    def spend(self, ctx: Ctx, cancel: threading.Event | None = None, *,
              left: float | None = None) -> Iterator[float]:
        """Admit (unless ``left`` says an earlier :meth:`admit` did), yield the seconds
        left, and charge the time the block took; ``cancel`` is set when the user's time
        runs out during the block (a generation then stops)."""
        left = self.admit(ctx) if left is None else left
        timer = threading.Timer(left, cancel.set) if cancel is not None else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        started = time.monotonic()
        try:
            yield left
        finally:
            if timer is not None:
                timer.cancel()
            self.charge(ctx, time.monotonic() - started)


def _limited(code: str, message: str, retry_after: float) -> RateLimited:
    wait = max(1, math.ceil(retry_after))
    return RateLimited(f"{message}; retry in {wait} s", code=code,
                       details={"retry_after": wait})
