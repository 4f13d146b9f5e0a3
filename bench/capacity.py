"""Due-check capacity: how many checks a minute the checkers make, at concurrency 1, 4 and 16, against a
provider whose status call takes STATUS_LATENCY and that allows RATE_LIMIT checks a second.

100,000 open payments (BENCH_OPEN) on DynamoDB Local, their next checks spread over a five-minute polling
interval (a fifth of them due at the start, the rest falling due as the run goes). Each concurrency runs
for BENCH_CAPACITY_SECONDS: the finder every minute hands over what is due (claims, priorities, pacing),
`concurrency` threads check (the real checker: claim check, rate limiter in DynamoDB, status call, write).
Reported: checks a minute, the most checks the provider saw in any one second, and the age of the oldest
due check left at the end (the backlog the alarm watches). Then the rate limiter alone at 1,000 checks a
second (bench/rate_limiter.py): checks let through, writes of its busiest item a second, cost a check."""

from __future__ import annotations

import heapq
import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import requests

from bench import rate_limiter
from local import template
from local.dynamodb_local import client as dynamodb_client
from paygate.lifecycle.due_checks import RUN_INTERVAL_SECONDS

STATUS_LATENCY = float(os.environ.get("BENCH_STATUS_LATENCY", 0.3))
RATE_LIMIT = float(os.environ.get("BENCH_RATE_LIMIT", 40))


class SlowStatusApi(requests.Session):
    """A provider's status API that answers `pending` after STATUS_LATENCY, recording when each call began."""

    def __init__(self) -> None:
        super().__init__()
        self.starts: list[float] = []
        self.lock = threading.Lock()

    def request(self, method, url, **kwargs):  # type: ignore[override]
        with self.lock:
            self.starts.append(time.time())
        time.sleep(STATUS_LATENCY)
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps({"status": "pending", "amount": "1.00", "currency": "USD"}).encode()
        return response


class DelayQueue:
    """An in-process queue honouring each message's delay (the checkers' SQS queue, without its latency)."""

    def __init__(self) -> None:
        self.heap: list = []
        self.lock = threading.Condition()
        self.count = 0

    def send(self, checks: list) -> int:
        with self.lock:
            for check in checks:
                heapq.heappush(self.heap, (time.time() + check.delay_seconds, self.count, check))
                self.count += 1
            self.lock.notify_all()
        return len(checks)

    def receive(self, stop: threading.Event):
        with self.lock:
            while not stop.is_set():
                if self.heap and self.heap[0][0] <= time.time():
                    return heapq.heappop(self.heap)[2]
                self.lock.wait(0.05)
        return None


def load(store, count: int, now: datetime) -> None:
    from paygate.models import PaymentRecord, Status

    interval = 300

    def record(n: int) -> PaymentRecord:
        created = now - timedelta(hours=1)
        return PaymentRecord(
            id=f"pay_cap{n:07d}{uuid.uuid4().hex[:8]}",
            status=Status.PENDING,
            amount="1.00",
            currency="USD",
            provider="sandbox",
            provider_payment_id=f"sbx_{n}",
            created_at=created,
            updated_at=created,
            expires_at=now + timedelta(days=1),
            due_at=now + timedelta(seconds=(n % interval) - interval / 5),
        )

    batches = [[record(n) for n in range(start, min(count, start + 500))] for start in range(0, count, 500)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(store.put_many, batches))


def run(sweeper, queue: DelayQueue, api: SlowStatusApi, concurrency: int, seconds: float) -> dict:
    stop = threading.Event()
    checked = [0]
    lock = threading.Lock()

    def checker() -> None:
        while (check := queue.receive(stop)) is not None:
            outcome = sweeper.check(check, time_left=lambda: 60.0)
            if outcome == "checked":
                with lock:
                    checked[0] += 1

    def finder() -> None:
        while not stop.is_set():
            sweeper.finder(queue).run(time_left=lambda: 60.0)
            stop.wait(RUN_INTERVAL_SECONDS)

    api.starts.clear()
    started = time.time()
    threads = [threading.Thread(target=checker) for _ in range(concurrency)] + [threading.Thread(target=finder)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.time() - started
    starts = sorted(api.starts)
    busiest = max((sum(1 for other in starts[i : i + 1000] if other < s + 1) for i, s in enumerate(starts)), default=0)
    # What is due and not handed over, and the checks still waiting in the queue: the backlog.
    backlog = sweeper.finder(DelayQueue()).run(time_left=lambda: 60.0)
    return {
        "checks_per_minute": checked[0] / elapsed * 60,
        "busiest_second": busiest,
        "backlog_age": backlog.oldest_seconds(datetime.now(UTC)),
        "backlog": sum(backlog.found.values()) + len(queue.heap),
    }


def measure(endpoint: str, open_payments: int, seconds: float, concurrencies: tuple[int, ...] = (1, 4, 16)) -> list:
    from paygate.models import utcnow
    from paygate.providers.rate_limits import RateLimits
    from tests import factories

    client = dynamodb_client(endpoint)
    tables = {"PaymentsTable": f"capacity-{uuid.uuid4().hex[:8]}", "IdempotencyTable": f"rates-{uuid.uuid4().hex[:8]}"}
    template.create_tables(client, tables, streams=False)
    api = SlowStatusApi()
    gateway = factories.lifecycle(client, utcnow, table=tables["PaymentsTable"], enabled=["sandbox"], session=api)
    load(gateway.payments, open_payments, utcnow())
    limits = RateLimits(tables["IdempotencyTable"], client, {"sandbox": RATE_LIMIT})
    sweeper = gateway.checker(rate_limits=limits)
    results = []
    for concurrency in concurrencies:
        queue = DelayQueue()
        results.append((concurrency, run(sweeper, queue, api, concurrency, seconds)))
        # Checks still queued go back to due: the next concurrency starts from the index, as after a deploy.
        for _, _, check in queue.heap:
            sweeper.release(check)
    return results


def report(results: list, open_payments: int) -> None:
    print(
        f"\n## Due checks: {open_payments:,} open payments, a {STATUS_LATENCY * 1000:.0f} ms status call, the "
        f"provider limited to {RATE_LIMIT:g} checks a second\n| checkers | checks a minute | busiest second "
        "(checks) | backlog left (oldest, s) | open payments kept up with at a 5-minute interval |\n"
        "|---|---|---|---|---|"
    )
    for concurrency, result in results:
        print(
            f"| {concurrency} | {result['checks_per_minute']:,.0f} | {result['busiest_second']} | "
            f"{result['backlog']:,} ({result['backlog_age']:.0f}) | {result['checks_per_minute'] * 5:,.0f} |"
        )


def main() -> None:
    """On a DynamoDB Local of its own: what earlier benchmarks left in one would slow its writes."""
    from local.dynamodb_local import DynamoDBLocal

    open_payments = int(os.environ.get("BENCH_OPEN", 100_000))
    seconds = float(os.environ.get("BENCH_CAPACITY_SECONDS", 60))
    server = DynamoDBLocal()
    try:
        results = measure(server.endpoint, open_payments, seconds)
    finally:
        server.stop()
    report(results, open_payments)
    rate_limiter.main()


if __name__ == "__main__":
    main()
