"""Due checks at scale: the scheduled run finds what is due and hands it to a queue; checkers consume it.

`DueFinder` (the `find_due_checks` schedule, every minute) reads the `due-checks` index provider by
provider, most urgent first (paygate.store.due_index), claims each due check by moving its `due_at` forward by
`claim_seconds` (so no later run hands it over again while it waits or is being checked), and sends it
to the queue. A rate-limited provider is handed at most what its limit allows until the next run, the
most urgent first, spread over the minute with per-message delays; the rest stay due and are found again
by the next run, ahead of anything less urgent. The checkers (`check_payments`, paygate.lifecycle.checks)
hold each provider to its limit across all of them (paygate.providers.rate_limits).

Nothing is lost on the way: a check whose message is lost, or whose checker dies, is due again when its
claim runs out; a check that is delivered twice, or after its payment changed, is skipped because its
claim no longer holds (the claim's time is in the message); and the check's own write is conditional on
the payment's version, as every write is."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from paygate.providers.catalog import SPECS
from paygate.store import due_index as due
from paygate.store.payments import PaymentStore
from paygate.timing import MAX_QUEUE_DELAY_SECONDS

logger = Logger(service="paygate", child=True)

# How often the finder runs: a rate-limited provider's checks are spread over this much time.
RUN_INTERVAL_SECONDS = 60
# Claims made at once (each one conditional write), and index partitions read at once.
CLAIM_CONCURRENCY = 16
READ_CONCURRENCY = 16
# The finder stops handing over with this little of its invocation left.
MIN_SECONDS_TO_HAND_OVER = 2.0


@dataclass(frozen=True)
class DueCheck:
    payment_id: str
    # The `due_at` its claim set: the check is made only while the payment still has it.
    claimed_until: datetime
    # When it fell due, for the lag metric.
    due_at: datetime
    provider: str | None
    priority: due.Priority
    # Seconds the queue holds it back (a rate-limited provider's checks, spread over the minute).
    delay_seconds: int = 0

    def message(self) -> str:
        return json.dumps(
            {
                "payment_id": self.payment_id,
                "claimed_until": int(self.claimed_until.timestamp()),
                "due_at": int(self.due_at.timestamp()),
                "provider": self.provider,
                "priority": int(self.priority),
            }
        )

    @classmethod
    def from_message(cls, body: str) -> DueCheck:
        data = json.loads(body)
        return cls(
            payment_id=str(data["payment_id"]),
            claimed_until=datetime.fromtimestamp(int(data["claimed_until"]), UTC),
            due_at=datetime.fromtimestamp(int(data["due_at"]), UTC),
            provider=data.get("provider"),
            priority=due.Priority(int(data.get("priority", due.Priority.OPEN))),
        )


class CheckQueue(Protocol):
    def send(self, checks: list[DueCheck]) -> int:
        """Hand the checks over; returns how many were accepted."""
        ...


@dataclass
class SqsCheckQueue:
    client: Any
    url: str

    def send(self, checks: list[DueCheck]) -> int:
        sent = 0
        for start in range(0, len(checks), 10):
            batch = checks[start : start + 10]
            answer = self.client.send_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(n), "MessageBody": check.message(), "DelaySeconds": check.delay_seconds}
                    for n, check in enumerate(batch)
                ],
            )
            sent += len(answer.get("Successful", []))
            for failure in answer.get("Failed", []):  # its claim runs out, and the next run finds it again
                logger.warning("due check not queued", payment_id=batch[int(failure["Id"])].payment_id)
        return sent


@dataclass
class Backlog:
    """What one run found due: how many (per provider), and the oldest due time."""

    found: dict[str, int] = field(default_factory=dict)
    handed: dict[str, int] = field(default_factory=dict)
    oldest: datetime | None = None
    # The run ended before it had handed over everything it may (its invocation's time ran short).
    stopped_early: bool = False

    def add(self, provider: str, due_at: datetime) -> None:
        self.found[provider] = self.found.get(provider, 0) + 1
        self.oldest = due_at if self.oldest is None else min(self.oldest, due_at)

    def oldest_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.oldest).total_seconds()) if self.oldest else 0.0


@dataclass
class DueFinder:
    store: PaymentStore
    clock: Callable[[], datetime]
    queue: CheckQueue
    # Checks a second, per limited provider: the pace its rate limiter lets them through at.
    rate_limits: dict[str, float]
    claim_seconds: int = 300

    def run(self, *, time_left: Callable[[], float]) -> Backlog:
        now = self.clock()
        backlog = Backlog()
        # Each provider's partitions, most urgent first; then the keys written before the index named
        # provider and priority (no pacing known for them: the checkers still hold every limit).
        groups: list[tuple[str | None, list[str], bool]] = [
            (provider, due.partitions(provider, self.store.due_shards), True) for provider in [*SPECS, None]
        ]
        groups.append((None, due.legacy_partitions(self.store.due_shards), False))
        found = self._read([partition for _, partitions, _ in groups for partition in partitions], now)
        for provider, partitions, paced in groups:
            if time_left() < MIN_SECONDS_TO_HAND_OVER:
                backlog.stopped_early = True
                return backlog
            chosen = self._choose(provider, partitions, found, backlog, paced=paced)
            self._hand_over(provider, chosen, now, backlog, time_left, paced=paced)
        return backlog

    def _read(self, partitions: list[str], now: datetime) -> dict[str, list[tuple[datetime, str]]]:
        """Every partition's due checks (due time, id), the partitions read at once: most are empty, and
        each is a round trip."""

        def read(partition: str) -> list[tuple[datetime, str]]:
            found: list[tuple[datetime, str]] = []
            start_key = None
            while True:
                page, start_key = self.store.due_page(partition, now, start_key=start_key)
                found += [(due_at, payment_id) for payment_id, due_at in page]
                if not start_key:
                    return found

        with ThreadPoolExecutor(max_workers=READ_CONCURRENCY) as pool:
            return dict(zip(partitions, pool.map(read, partitions), strict=True))

    def _choose(
        self,
        provider: str | None,
        partitions: list[str],
        found: dict[str, list[tuple[datetime, str]]],
        backlog: Backlog,
        *,
        paced: bool,
    ) -> list[tuple[str, datetime, due.Priority]]:
        """The provider's due checks to hand over now: most urgent first, then oldest due first, as many
        as its rate limit allows until the next run."""
        rate = self.rate_limits.get(provider or "") if paced else None
        budget = math.floor(rate * RUN_INTERVAL_SECONDS) if rate else math.inf
        by_rank: dict[due.Priority, list[tuple[datetime, str]]] = {}
        for partition in partitions:
            rank = due.Priority(int(partition.split("#")[1])) if "#" in partition else due.Priority.OPEN
            for due_at, _ in found[partition]:
                backlog.add(provider or due.NO_PROVIDER, due_at)
            by_rank.setdefault(rank, []).extend(found[partition])
        chosen: list[tuple[str, datetime, due.Priority]] = []
        for rank in sorted(by_rank):
            for due_at, payment_id in sorted(by_rank[rank]):
                if len(chosen) >= budget:
                    return chosen
                chosen.append((payment_id, due_at, rank))
        return chosen

    def _hand_over(
        self,
        provider: str | None,
        chosen: list[tuple[str, datetime, due.Priority]],
        now: datetime,
        backlog: Backlog,
        time_left: Callable[[], float],
        *,
        paced: bool = True,
    ) -> None:
        if not chosen:
            return
        until = (now + timedelta(seconds=self.claim_seconds)).replace(microsecond=0)  # as the index keeps it

        def claim(entry: tuple[str, datetime, due.Priority]) -> bool:
            return time_left() >= MIN_SECONDS_TO_HAND_OVER and self.store.claim_due(entry[0], entry[1], until)

        with ThreadPoolExecutor(max_workers=CLAIM_CONCURRENCY) as pool:
            claimed = [entry for entry, won in zip(chosen, pool.map(claim, chosen), strict=True) if won]
        rate = self.rate_limits.get(provider or "") if paced else None
        checks = [
            DueCheck(
                payment_id=payment_id,
                claimed_until=until,
                due_at=due_at,
                provider=provider,
                priority=rank,
                # In order of priority, at the provider's rate: the most urgent are checked first.
                delay_seconds=min(MAX_QUEUE_DELAY_SECONDS, int(index / rate)) if rate else 0,
            )
            for index, (payment_id, due_at, rank) in enumerate(claimed)
        ]
        name = provider or due.NO_PROVIDER
        backlog.handed[name] = backlog.handed.get(name, 0) + self.queue.send(checks)
