"""Each provider's limit on due checks a second, held across every concurrent checker.

A sliding-window log in DynamoDB: one item per provider (`rate:<name>`, in the idempotency table with
its TTL attribute) holding the start times of the calls of the last second. A call is let through only
if fewer than the limit started within the last second, written by the versioned write
(paygate.store.versioned), so two checkers cannot both take the last place. Exact in any one-second
window, whatever the number of checkers (a token bucket would allow bursts above the limit; reserved
concurrency per provider would bound calls in flight, not calls a second). The cost is a read and a
conditional write per check."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from paygate.errors import Busy
from paygate.models import Versioned
from paygate.store.versioned import VersionedTable

WINDOW_SECONDS = 1.0
# Calls are let through this much further apart than the limit needs: between the place taken and the
# request arriving at the provider lie scheduling and the network, which do not keep the spacing exactly.
GUARD_SECONDS = 0.1
_SPAN = WINDOW_SECONDS + GUARD_SECONDS
# Of that guard, the most that taking a place (its read and conditional write) may use.
_MAX_TAKING_SECONDS = GUARD_SECONDS / 2
# An idle window is removed by the table's TTL after this long.
_IDLE_SECONDS = 3600


class RateWindow(Versioned):
    """One provider's log: the start times of its recent calls (`rate:<provider>`)."""

    id: str
    starts: list[float] = Field(default_factory=list)
    expiration: int = 0  # the table's TTL attribute


@dataclass
class RateLimits:
    table_name: str
    client: Any
    # Checks a second, per provider; a provider not named has no limit.
    limits: dict[str, float]
    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    windows: VersionedTable[RateWindow] = field(init=False)

    def __post_init__(self) -> None:
        self.windows = VersionedTable(self.client, self.table_name, RateWindow, clock=self._utcnow)

    def acquire(self, provider: str | None, *, max_wait: float) -> bool:
        """Take a place in the provider's window, waiting at most `max_wait` seconds for one.
        False: no place in that time (nothing taken, the caller tries again later)."""
        limit = self.limits.get(provider or "")
        if not limit or not provider:
            return True
        capacity = max(1, int(limit * WINDOW_SECONDS))
        deadline = self.now() + max_wait
        while True:
            taken_at: float | None = None

            def take(window: RateWindow) -> RateWindow | None:
                nonlocal taken_at
                now = self.now()
                taken_at = now if _fits(window.starts, now, capacity) else None
                if taken_at is None:
                    return None
                # Older starts can no longer share a window with any new one (clocks a little apart included).
                kept = [started for started in window.starts if started > now - 2 * _SPAN]
                return window.model_copy(update={"starts": [*kept, now], "expiration": int(now) + _IDLE_SECONDS})

            try:
                window = self.windows.change(self._window(provider), take)
            except Busy:  # contended beyond the retry policy: give the others a turn
                wait = WINDOW_SECONDS / capacity
            else:
                if taken_at is not None:
                    if self.now() - taken_at <= _MAX_TAKING_SECONDS:
                        return True
                    # The write took so long that the call would start later than its logged start by
                    # more than the guard allows for: the place is left unused (one call fewer, never
                    # one more) and another taken.
                    if self.now() > deadline:
                        return False
                    continue
                now = self.now()
                wait = _next_place(window.starts, now, capacity) - now
            if self.now() + wait > deadline:
                return False
            self.sleep(max(wait, 0.001))

    def _window(self, provider: str) -> RateWindow:
        key = f"rate:{provider}"
        return self.windows.get({"id": {"S": key}}) or RateWindow(id=key, version=0)  # its first write makes it

    def _utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)


def _fits(starts: list[float], at: float, capacity: int) -> bool:
    """Whether a call starting `at` leaves every one-second window that holds it with at most `capacity`
    starts. Every such window is checked, not only the one ending now: another checker's clock may be a
    little ahead, so the log may hold starts later than `at`."""
    window_starts = [
        at - _SPAN + 1e-6,
        *(started for started in starts if at - _SPAN < started <= at),
    ]
    return all(sum(1 for started in starts if first <= started < first + _SPAN) < capacity for first in window_starts)


def _next_place(starts: list[float], now: float, capacity: int) -> float:
    """The earliest moment after `now` a call would fit: when some start leaves the window."""
    for moment in sorted(started + _SPAN for started in starts if started + _SPAN > now):
        if _fits(starts, moment, capacity):
            return moment
    return now + _SPAN
