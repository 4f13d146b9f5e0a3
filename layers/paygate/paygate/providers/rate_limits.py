"""Each provider's limit on due checks a second, held across every concurrent checker.

A sliding-window log in DynamoDB: one item per provider (`rate:<name>`, in the idempotency table with
its TTL attribute) holding the start times of the calls of the last second. A call is let through only
if fewer than the limit started within the last second, written with a condition on the item's version,
so two checkers cannot both take the last place. Exact in any one-second window, whatever the number of
checkers (a token bucket would allow bursts above the limit; reserved concurrency per provider would
bound calls in flight, not calls a second). The cost is a read and a conditional write per check."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WINDOW_SECONDS = 1.0
# Calls are let through this much further apart than the limit needs: between the place taken and the
# request arriving at the provider lie scheduling and the network, which do not keep the spacing exactly.
GUARD_SECONDS = 0.1
_SPAN = WINDOW_SECONDS + GUARD_SECONDS
# Of that guard, the most that taking a place (its read and conditional write) may use.
_MAX_TAKING_SECONDS = GUARD_SECONDS / 2
# Writers that lost the race try again at once, this many times, before waiting like everyone else.
_CONFLICT_RETRIES = 5


@dataclass
class RateLimits:
    table_name: str
    client: Any
    # Checks a second, per provider; a provider not named has no limit.
    limits: dict[str, float]
    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    # Checks that had to wait, and checks that could not get a place in the time they had: per provider.
    waited: dict[str, int] = field(default_factory=dict)

    def acquire(self, provider: str | None, *, max_wait: float) -> bool:
        """Take a place in the provider's window, waiting at most `max_wait` seconds for one.
        False: no place in that time (nothing taken, the caller tries again later)."""
        limit = self.limits.get(provider or "")
        if not limit or not provider:
            return True
        capacity = max(1, int(limit * WINDOW_SECONDS))
        deadline = self.now() + max_wait
        conflicts = 0
        while True:
            now = self.now()
            starts, version = self._read(provider)
            if _fits(starts, now, capacity):
                # Older starts can no longer share a window with any new one (clocks a little apart included).
                kept = [started for started in starts if started > now - 2 * _SPAN]
                if self._write(provider, [*kept, now], version):
                    taken = self.now()
                    if taken - now <= _MAX_TAKING_SECONDS:
                        return True
                    # The write took so long that the call would start later than its logged start by
                    # more than the guard allows for: the place is left unused (one call fewer, never
                    # one more) and another taken.
                    if taken > deadline:
                        return False
                    continue
                conflicts += 1
                if conflicts <= _CONFLICT_RETRIES:
                    continue
                wait = WINDOW_SECONDS / capacity  # contended: give the others a turn
            else:
                wait = _next_place(starts, now, capacity) - now
            if now + wait > deadline:
                return False
            self.waited[provider] = self.waited.get(provider, 0) + 1
            self.sleep(max(wait, 0.001))

    def _read(self, provider: str) -> tuple[list[float], int]:
        item = self.client.get_item(
            TableName=self.table_name, Key={"id": {"S": f"rate:{provider}"}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return [], 0
        return [float(value["N"]) for value in item.get("starts", {}).get("L", [])], int(item["version"]["N"])

    def _write(self, provider: str, starts: list[float], version: int) -> bool:
        condition = "attribute_not_exists(id)" if version == 0 else "version = :version"
        values = {":version": {"N": str(version)}} if version else {}
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    "id": {"S": f"rate:{provider}"},
                    "starts": {"L": [{"N": f"{started:.6f}"} for started in starts]},
                    "version": {"N": str(version + 1)},
                    "expiration": {"N": str(int(max(starts, default=self.now())) + 3600)},  # the table's TTL
                },
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True


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
