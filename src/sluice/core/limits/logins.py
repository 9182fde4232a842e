"""Failed logins per client address: past ``login_failures_per_minute`` the address gets
429 until its oldest failure is a minute old, however good its next guess is."""

from __future__ import annotations

import math

from sluice.core.limits.window import SlidingWindow
from sluice.errors import RateLimited

WINDOW = 60.0


class FailedLogins:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._failures = SlidingWindow(WINDOW)

    def check(self, address: str) -> None:
        """Raise RateLimited (``too_many_failed_logins``) when the address is locked out."""
        if self._failures.used(address) >= self.per_minute:
            wait = max(1, math.ceil(self._failures.retry_after(address)))
            raise RateLimited(f"too many failed logins from this address; retry in {wait} s",
                              code="too_many_failed_logins", details={"retry_after": wait})

    def failed(self, address: str) -> None:
        self._failures.add(address)
