"""Model time per user: every model call is admitted before it starts, reserving what it
is expected to take, and settled with the time it really took, so one user (a viewer
included) cannot hold the model for more than ``model_seconds_per_minute`` or send more
than ``model_requests_per_minute``, however many calls it starts at once. A reservation
that is never settled (a call abandoned before it began) simply leaves the window."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sluice.core.context import Ctx
from sluice.core.limits.window import Entry, SlidingWindow
from sluice.errors import RateLimited

WINDOW = 60.0


@dataclass(frozen=True)
class Grant:
    """An admitted call: the user's seconds left, and its reservation."""

    left: float
    reservation: Entry


@dataclass
class Meter:
    """What a running call tells its budget: seconds spent waiting (for the model lock),
    which are not charged."""

    left: float
    waited: float = 0.0


class ModelBudget:
    def __init__(self, seconds_per_minute: float, requests_per_minute: int) -> None:
        self.seconds = seconds_per_minute
        self.requests = requests_per_minute
        self._time = SlidingWindow(WINDOW)
        self._calls = SlidingWindow(WINDOW)
        self._lock = threading.Lock()  # check and reserve as one step

    def admit(self, ctx: Ctx, estimate: float) -> Grant:
        """Count one request and reserve ``estimate`` seconds of model time.

        Raises:
            RateLimited: too many requests (``rate_limited``) or the model time is used up
                (``model_budget_exhausted``); ``details.retry_after`` says when to retry.
        """
        user = ctx.actor.user_id
        with self._lock:
            if self._calls.used(user) >= self.requests:
                raise _limited("rate_limited", f"more than {self.requests} model requests "
                               "in a minute (model_requests_per_minute)",
                               self._calls.retry_after(user))
            left = self.seconds - self._time.used(user)
            if left <= 0:
                raise _limited("model_budget_exhausted", f"this user used its "
                               f"{self.seconds:g} s of model time for this minute "
                               "(model_seconds_per_minute)", self._time.retry_after(user))
            self._calls.add(user)
            return Grant(left, self._time.add(user, max(0.0, estimate)))

    def settle(self, grant: Grant, seconds: float) -> None:
        """Replace the reservation with the time the call really took."""
        self._time.settle(grant.reservation, max(0.0, seconds))

    @contextmanager
    def spend(self, ctx: Ctx, cancel: threading.Event | None = None, *,
              estimate: float = 1.0, grant: Grant | None = None) -> Iterator[Meter]:
        """Admit (unless ``grant`` says an earlier :meth:`admit` did), yield a
        :class:`Meter`, and settle with the time the block took less the time it reports
        waiting; ``cancel`` is set when the user's time runs out (a generation then
        stops)."""
        grant = grant or self.admit(ctx, estimate)
        meter = Meter(grant.left)
        started = time.monotonic()
        timer = threading.Timer(grant.left, cancel.set) if cancel is not None else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            yield meter
        finally:
            if timer is not None:
                timer.cancel()
            self.settle(grant, time.monotonic() - started - meter.waited)


def generation_estimate(max_tokens: int) -> float:
    """Seconds a generation of ``max_tokens`` may take on the bundled model (about ten
    tokens a second with the prompt)."""
    return 1.0 + max_tokens / 10


def embedding_estimate(texts: int, chars: int) -> float:
    """Seconds embedding ``texts`` of ``chars`` characters in all may take."""
    return 0.01 * texts + chars / 20_000


def _limited(code: str, message: str, retry_after: float) -> RateLimited:
    wait = max(1, math.ceil(retry_after))
    return RateLimited(f"{message}; retry in {wait} s", code=code,
                       details={"retry_after": wait})
