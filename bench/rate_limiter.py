"""The rate limiter at 1,000 checks a second, on DynamoDB Local: checks let through a second, the most
writes any one counter took in a second, and the write capacity each check costs.

Threads ask for places at a steady rate (BENCH_RATE_CHECKS a second) for one provider limited to
BENCH_RATE_LIMIT; every UpdateItem is recorded with its item and moment, whether its condition held or
not (a failed conditional write is billed as a write too).

The limiter's clock runs at TIME_SCALE of real time (its `now` and `sleep`), so that a thousand checks
of its seconds are a hundred a real second, which DynamoDB Local on a small shared machine can answer;
everything is counted in the limiter's seconds, which are the seconds its limit is about. DynamoDB Local's
answers take a tenth as long in those seconds: a few milliseconds, about what DynamoDB takes in a
region."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config

from local.dynamodb_local import client as local_client
from paygate.providers.rate_limits import RateLimits, granted_per_second

TIME_SCALE = float(os.environ.get("BENCH_RATE_TIME_SCALE", 0.1))
# US East (N. Virginia), on-demand, Standard table class: dollars per million write request units, as
# given for this benchmark (AWS's list price before its on-demand prices halved on 1 November 2024:
# https://aws.amazon.com/dynamodb/pricing/on-demand/ lists $0.625 since).
DOLLARS_PER_MILLION_WRU = 1.25
PROVIDER = "sandbox"


class ScaledClock:
    """Time as the limiter sees it: TIME_SCALE seconds for every real second."""

    def __init__(self, scale: float) -> None:
        self.scale, self.origin = scale, time.time()

    def now(self) -> float:
        return self.origin + (time.time() - self.origin) * self.scale

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.scale)


@dataclass
class RecordingClient:
    """A DynamoDB client that records each UpdateItem: its item, the moment it was sent, and whether it
    wrote (False: its condition failed)."""

    client: Any
    clock: ScaledClock
    writes: list[tuple[str, float, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def exceptions(self) -> Any:
        return self.client.exceptions

    def update_item(self, **kwargs: Any) -> Any:
        sent, wrote = self.clock.now(), False
        try:
            answer = self.client.update_item(**kwargs)
            wrote = True
            return answer
        finally:
            with self.lock:
                self.writes.append((kwargs["Key"]["id"]["S"], sent, wrote))


@dataclass
class Run:
    limit: float
    seconds: float
    asked: list[float]  # when each check asked for a place (the limiter's time)
    granted: list[float]  # when each check let through goes out
    writes: list[tuple[str, float, bool]]

    def asked_per_second(self) -> float:
        return len(self.asked) / (max(self.asked) - min(self.asked))

    def granted_per_second(self) -> float:
        """Over the whole seconds in which checks were asked for (the first and last cut off)."""
        first, last = int(min(self.asked)) + 1, int(max(self.asked))
        return sum(1 for at in self.granted if first <= at < last) / (last - first)

    def most_granted_in_a_second(self) -> int:
        """The most checks let through in any one-second window (sliding, not only whole seconds)."""
        starts, first, most = sorted(self.granted), 0, 0
        for last, start in enumerate(starts):
            while starts[first] <= start - 1.0:
                first += 1
            most = max(most, last - first + 1)
        return most

    def most_writes_of_an_item_in_a_second(self) -> int:
        return max(Counter((key, int(at)) for key, at, _ in self.writes).values())

    def writes_per_check(self) -> float:
        """Write request units per check let through: every UpdateItem of a counter (an item far under
        1 KB) is one, its condition held or not."""
        return len(self.writes) / len(self.granted)


def client(endpoint: str, connections: int) -> Any:
    return local_client(endpoint, Config(max_pool_connections=connections, retries={"mode": "standard"}))


def drive(
    endpoint: str,
    table: str,
    *,
    limit: float,
    checks_per_second: float = 1000,
    seconds: float = 10,
    max_wait: float = 2.0,
    threads: int = 2000,
) -> Run:
    """`checks_per_second` checks ask for a place, evenly spread, for `seconds` (the limiter's time), each
    waiting at most `max_wait` as the checkers do; all share one table, as every checker does."""
    clock = ScaledClock(TIME_SCALE)
    recording = RecordingClient(client(endpoint, threads), clock)
    limiter = RateLimits(table, recording, {PROVIDER: limit}, now=clock.now, sleep=clock.sleep)
    start = clock.now() + 0.5

    def check(index: int) -> tuple[float, float | None]:
        due = start + index / checks_per_second
        if due > clock.now():
            clock.sleep(due - clock.now())
        asked = clock.now()
        return asked, clock.now() if limiter.acquire(PROVIDER, max_wait=max_wait) else None

    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(check, range(int(checks_per_second * seconds))))
    return Run(
        limit=limit,
        seconds=seconds,
        asked=[asked for asked, _ in outcomes],
        granted=[granted for _, granted in outcomes if granted is not None],
        writes=recording.writes,
    )


def measure(endpoint: str, seconds: float) -> list[Run]:
    """At 1,000 checks a second: a provider that lets through 2,000 a second (more than it is asked), one
    that allows 1,000, and one that allows 500 (half of what it is asked)."""
    from local import template

    table = f"rates-{uuid.uuid4().hex[:8]}"
    template.create_tables(client(endpoint, 1), {"IdempotencyTable": table}, streams=False)
    return [drive(endpoint, table, limit=limit, seconds=seconds) for limit in (2000, 1000, 500)]


def report(runs: list[Run]) -> None:
    print(
        f"\n## Rate limiter at 1,000 checks a second (DynamoDB Local, its clock at {TIME_SCALE:g} x real time)\n"
        "| limit a second | checks asked a second | let through a second (most in any 1 s) | most writes of one "
        "item in a second | WRU per check | $ per million checks |\n|---|---|---|---|---|---|"
    )
    for run in runs:
        print(
            f"| {run.limit:,.0f} (at most {granted_per_second(run.limit):,.0f} kept up) | "
            f"{run.asked_per_second():,.0f} | {run.granted_per_second():,.0f} ({run.most_granted_in_a_second():,}) | "
            f"{run.most_writes_of_an_item_in_a_second()} | {run.writes_per_check():.2f} | "
            f"{run.writes_per_check() * DOLLARS_PER_MILLION_WRU:.2f} |"
        )


def main() -> None:
    from local.dynamodb_local import DynamoDBLocal

    server = DynamoDBLocal()
    try:
        runs = measure(server.endpoint, float(os.environ.get("BENCH_RATE_SECONDS", 10)))
    finally:
        server.stop()
    report(runs)


if __name__ == "__main__":
    main()
