"""Due checks at scale (moto): the scheduled run finds and hands over, concurrent checkers check.

The checkers run on the test's clock, as a discrete-event simulation: several checkers, each taking the
next visible message when it is free, every status call taking 200 ms of simulated time and recorded
with its start and end. Everything in between is the real code: the finder's index reads and claims,
the messages, the checkers' claim checks, the rate limiter's counters in DynamoDB, the checks' writes."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import boto3
import pytest
import requests

from paygate.lifecycle.checks import Checker
from paygate.lifecycle.due_checks import DueCheck, SqsCheckQueue
from paygate.models import HistoryEntry, Status
from paygate.providers import rate_limits
from paygate.providers.rate_limits import RateLimits
from paygate.store import due_index as due
from tests import factories

STATUS_CALL = timedelta(milliseconds=200)


class TimedStatusApi(requests.Session):
    """The sandbox's status API on the test's clock: each call takes STATUS_CALL of it and is recorded;
    every payment is still pending, or paid for those in `paid`."""

    def __init__(self, clock: factories.FixedClock, paid: set[str] | None = None):
        super().__init__()
        self.clock, self.paid = clock, paid or set()
        self.calls: list[tuple[str, datetime, datetime]] = []  # provider payment id, start, end

    def request(self, method, url, **kwargs):  # type: ignore[override]
        provider_id = url.rsplit("/", 1)[-1]
        started = self.clock()
        self.clock.now = started + STATUS_CALL
        self.calls.append((provider_id, started, self.clock()))
        status = "succeeded" if provider_id in self.paid else "pending"
        response = requests.Response()
        response.status_code = 200
        answer = {"status": status, "amount": "1.00", "currency": "USD", "amount_paid": "1.00"}
        response._content = json.dumps(answer).encode()
        return response


@dataclass
class SimulatedQueue:
    """A queue that honours each message's delay on the test's clock, delivering in order of visibility."""

    clock: factories.FixedClock
    messages: list[tuple[datetime, int, DueCheck]] = field(default_factory=list)
    sent: int = 0

    def send(self, checks: list[DueCheck]) -> int:
        for check in checks:
            self.messages.append((self.clock() + timedelta(seconds=check.delay_seconds), self.sent, check))
            self.sent += 1
        self.messages.sort(key=lambda message: message[:2])
        return len(checks)

    def receive(self, limit: int) -> tuple[datetime, list[DueCheck]]:
        """The next batch: the earliest visible message's time, and up to `limit` visible then."""
        visible_at = self.messages[0][0]
        batch = [message for message in self.messages if message[0] <= visible_at][:limit]
        del self.messages[: len(batch)]
        return visible_at, [check for _, _, check in batch]


def run_checkers(sweeper: Checker, queue: SimulatedQueue, clock: factories.FixedClock, concurrency: int) -> Counter:
    """`concurrency` checkers, each taking a batch of up to 10 when it is free and checking them one at a
    time; the next step always belongs to the checker whose next check starts first (a checker without a
    batch starts when it is free and a message is visible), so their checks interleave as they would in
    time and DynamoDB sees their writes in the order they happen. Returns the checks' outcomes."""
    free_at = [clock()] * concurrency
    batches: list[list[DueCheck]] = [[] for _ in range(concurrency)]
    outcomes: Counter = Counter()

    def next_start(checker: int) -> tuple[bool, datetime]:
        if batches[checker]:
            return False, free_at[checker]
        if queue.messages:
            return False, max(free_at[checker], queue.messages[0][0])
        return True, free_at[checker]  # nothing left for it

    while queue.messages or any(batches):
        checker = min(range(concurrency), key=next_start)
        if not batches[checker]:
            visible_at, batches[checker] = queue.receive(10)
            free_at[checker] = max(free_at[checker], visible_at)
        clock.now = free_at[checker]
        outcomes[sweeper.check(batches[checker].pop(0), time_left=lambda: 60.0)] += 1
        free_at[checker] = clock()
    return outcomes


def store_due(gateway, clock, count: int, *, prefix: str = "", **fields) -> list:
    payments = [
        factories.record(
            at=clock(), provider_payment_id=f"sbx_{prefix}{n}", due_at=clock() - timedelta(seconds=1), **fields
        )
        for n in range(count)
    ]
    gateway.payments.put_many(payments)
    return payments


def limiter(dynamodb, clock, limits: dict[str, float]) -> RateLimits:
    return RateLimits(
        factories.TABLES["IdempotencyTable"],
        dynamodb,
        limits,
        now=lambda: clock().timestamp(),
        sleep=lambda seconds: clock.advance(seconds=seconds),
    )


def limited_sweeper(dynamodb, gateway, clock, limits: dict[str, float]) -> Checker:
    return gateway.checker(rate_limits=limiter(dynamodb, clock, limits))


def test_two_thousand_due_payments_are_all_checked_within_a_minute_by_ten_checkers(dynamodb, clock):
    # Given 2,000 due payments, a status call of 200 ms, and ten checkers (the template's default)
    api = TimedStatusApi(clock)
    gateway = factories.lifecycle(dynamodb, clock, enabled=["sandbox"], session=api)
    payments = store_due(gateway, clock, 2000)
    sweeper, queue, started = gateway.checker(), SimulatedQueue(clock), clock()
    # When the scheduled run finds them and the checkers work through the queue
    backlog = sweeper.finder(queue).run(time_left=lambda: 60.0)
    outcomes = run_checkers(sweeper, queue, clock, concurrency=10)
    # Then every one was handed over and checked exactly once (so never twice at once), all within one
    # minute of the run
    assert backlog.found == {"sandbox": 2000} and backlog.handed == {"sandbox": 2000}
    assert outcomes == {"checked": 2000}
    assert max(end for _, _, end in api.calls) - started <= timedelta(minutes=1)
    by_payment: dict[str, list] = {}
    for provider_id, start, end in api.calls:
        by_payment.setdefault(provider_id, []).append((start, end))
    assert sorted(by_payment) == sorted(p.provider_payment_id for p in payments)
    assert all(len(calls) == 1 for calls in by_payment.values())
    # And each has its next check set by its polling plan, none left claimed or due
    assert sweeper.finder(queue).run(time_left=lambda: 60.0).found == {}


def test_a_payment_whose_check_is_in_flight_is_not_handed_over_again(dynamodb, clock):
    # Given a due payment handed over to a queue that nobody has read yet
    gateway = factories.lifecycle(dynamodb, clock, enabled=["sandbox"], session=TimedStatusApi(clock))
    [payment] = store_due(gateway, clock, 1)
    sweeper, queue = gateway.checker(), SimulatedQueue(clock)
    sweeper.finder(queue).run(time_left=lambda: 60.0)
    # When the next runs come, within its claim
    clock.advance(minutes=1)
    sweeper.finder(queue).run(time_left=lambda: 60.0)
    clock.advance(minutes=3)
    sweeper.finder(queue).run(time_left=lambda: 60.0)
    # Then it was handed over once; and once its claim ran out unchecked (a lost message), again
    assert [check.payment_id for _, _, check in queue.messages] == [payment.id]
    clock.advance(minutes=2)
    sweeper.finder(queue).run(time_left=lambda: 60.0)
    assert [check.payment_id for _, _, check in queue.messages] == [payment.id, payment.id]
    # And of the two messages, only the one whose claim holds checks it
    assert run_checkers(sweeper, queue, clock, concurrency=2) == {"checked": 1, "skipped": 1}


def calls_in_any_second(calls: list[tuple[str, datetime, datetime]]) -> int:
    starts = sorted(start for _, start, _ in calls)
    return max(sum(1 for other in starts if start <= other < start + timedelta(seconds=1)) for start in starts)


@pytest.mark.parametrize("concurrency", [4, 32])
def test_a_provider_limited_to_five_checks_a_second_never_gets_more_and_drains_by_priority(
    dynamodb, clock, concurrency
):
    # Given a provider limited to 5 status checks a second, and a backlog of 400 due checks: 100 of young
    # payments (urgent) stored after 300 of expired ones watched for late money
    api = TimedStatusApi(clock)
    gateway = factories.lifecycle(dynamodb, clock, enabled=["sandbox"], session=api)
    ended = clock() - timedelta(hours=1)
    late = store_due(
        gateway,
        clock,
        300,
        prefix="late",
        status=Status.EXPIRED,
        created_at=ended - timedelta(hours=1),
        expires_at=ended,
        history=[HistoryEntry(status=Status.EXPIRED, at=ended, source="expiry")],
    )
    young = store_due(gateway, clock, 100, prefix="young")
    assert {due.priority(p) for p in late} == {due.Priority.LATE}
    assert {due.priority(p) for p in young} == {due.Priority.URGENT}
    sweeper, queue = limited_sweeper(dynamodb, gateway, clock, {"sandbox": 5}), SimulatedQueue(clock)
    # When the scheduled run comes twice (a minute's worth of checks each) and the checkers work
    first = sweeper.finder(queue).run(time_left=lambda: 60.0)
    outcomes = run_checkers(sweeper, queue, clock, concurrency)
    clock.now = max(clock(), ended + timedelta(hours=1, minutes=1))
    second = sweeper.finder(queue).run(time_left=lambda: 60.0)
    outcomes += run_checkers(sweeper, queue, clock, concurrency)
    # Then the first run handed over what a minute allows (5 places every 1.1 s), the most urgent first, the
    # rest the next minute
    minute = int(rate_limits.granted_per_second(5) * 60)
    assert minute == 272
    assert (first.found, first.handed) == ({"sandbox": 400}, {"sandbox": minute})
    assert second.handed == {"sandbox": 400 - minute}
    assert outcomes["checked"] == 400
    # And the provider never saw more than five checks in any second
    assert calls_in_any_second(api.calls) <= 5
    # And every young payment was checked before any expired one
    order = [provider_id for provider_id, _, _ in sorted(api.calls, key=lambda call: call[1])]
    assert {provider_id.startswith("sbx_young") for provider_id in order[:100]} == {True}


def test_the_limit_holds_across_checkers_that_all_want_a_place_at_once(dynamodb, clock):
    # Given twenty checks handed to twenty checkers at the same moment, the provider allowing 5 a second
    api = TimedStatusApi(clock)
    gateway = factories.lifecycle(dynamodb, clock, enabled=["sandbox"], session=api)
    payments = store_due(gateway, clock, 20)
    sweeper, queue = limited_sweeper(dynamodb, gateway, clock, {"sandbox": 5}), SimulatedQueue(clock)
    sweeper.finder(queue).run(time_left=lambda: 60.0)
    for _, _, check in queue.messages:
        object.__setattr__(check, "delay_seconds", 0)  # (as a queue could deliver them, delays or not)
    queue.messages = [(clock(), n, check) for n, (_, _, check) in enumerate(queue.messages)]
    # When they run
    outcomes = run_checkers(sweeper, queue, clock, concurrency=20)
    # Then those without a place in time waited or were given back, and the window was never exceeded
    assert calls_in_any_second(api.calls) <= 5
    assert outcomes["checked"] + outcomes["throttled"] == 20
    given_back = [p for p in payments if gateway.payments.get(p.id).due_at == p.due_at]
    assert len(given_back) == outcomes["throttled"]


class SlowWrites:
    """DynamoDB whose counter writes take `seconds` of the test's clock, the first `count` of them; records
    the time of every place taken (the counter's new value less one)."""

    def __init__(self, client, clock: factories.FixedClock, seconds: float, count: int, limit: float):
        self.client, self.clock, self.seconds, self.count, self.limit = client, clock, seconds, count, limit
        self.exceptions = client.exceptions
        self.places: list[float] = []

    def update_item(self, **kwargs):
        try:
            answer = self.client.update_item(**kwargs)
            provider, slot, index = kwargs["Key"]["id"]["S"].removeprefix("rate:").split(":")
            shard = rate_limits.shards(provider, self.limit, int(slot))[int(index)]
            self.places.append(shard.time_of(int(answer["Attributes"]["n"]["N"]) - 1))
            return answer
        finally:
            if self.count > 0:
                self.count -= 1
                self.clock.advance(seconds=self.seconds)


@pytest.mark.parametrize("slow_writes", [1, 3])
def test_a_place_taken_too_slowly_is_left_unused_and_another_taken(dynamodb, clock, slow_writes):
    # Given a provider allowing 5 a second, and counter writes that take 300 ms (longer than a call may
    # start after its place's time): a call let through then would start 300 ms after its place
    writes = SlowWrites(dynamodb, clock, 0.3, slow_writes, limit=5)
    limits = limiter(writes, clock, {"sandbox": 5})
    # When a checker takes a place
    assert limits.acquire("sandbox", max_wait=10)
    # Then the call goes out right at the time of the last place taken; the slow ones before it are unused
    *unused, used = writes.places
    assert -1e-6 <= clock().timestamp() - used <= rate_limits.MAX_LATE_SECONDS  # (the clock keeps microseconds)
    assert unused and all(clock().timestamp() - place > rate_limits.MAX_LATE_SECONDS for place in unused)


def test_a_checker_that_cannot_take_a_place_quickly_enough_gives_up_at_its_deadline(dynamodb, clock):
    # Given counter writes that are always too slow, when a checker tries for 2 seconds
    limits = limiter(SlowWrites(dynamodb, clock, 0.3, 100, limit=5), clock, {"sandbox": 5})
    started = clock()
    # Then it gives up (its check is given back), not long after
    assert not limits.acquire("sandbox", max_wait=2)
    assert clock() - started < timedelta(seconds=3)


class Crash(BaseException):
    """The checker's process dies (not an error its batch processing could catch)."""


def test_a_checker_that_crashes_mid_batch_loses_no_check_and_moves_no_payment_twice(dynamodb, clock):
    # Given ten paid payments handed over to a real (moto) queue
    paid = {f"sbx_{n}" for n in range(10)}
    api = TimedStatusApi(clock, paid=paid)
    gateway = factories.lifecycle(dynamodb, clock, enabled=["sandbox"], session=api)
    payments = store_due(gateway, clock, 10)
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="due-checks")["QueueUrl"]
    sweeper = gateway.checker()
    sweeper.finder(SqsCheckQueue(sqs, url)).run(time_left=lambda: 60.0)
    # When a checker takes the batch and dies in the middle of its fifth check (the provider answered)
    batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    assert len(batch) == 10
    dying = api.request

    def request_then_die(method, url, **kwargs):
        answer = dying(method, url, **kwargs)
        if len(api.calls) == 5:
            raise Crash()
        return answer

    api.request = request_then_die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        for message in batch:
            sweeper.check(DueCheck.from_message(message["Body"]), time_left=lambda: 60.0)
    api.request = dying  # type: ignore[method-assign]
    # Then the whole batch comes back (nothing was deleted), and a new checker goes through it
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    outcomes = Counter(sweeper.check(DueCheck.from_message(m["Body"]), time_left=lambda: 60.0) for m in again)
    # Then the four finished checks were skipped, the rest (the crashed one too) were checked
    assert outcomes == {"skipped": 4, "checked": 6}
    # And every payment moved to succeeded exactly once
    for payment in payments:
        stored = gateway.payments.get(payment.id)
        assert stored.status is Status.SUCCEEDED
        assert [entry.status for entry in stored.history].count(Status.SUCCEEDED) == 1
        assert stored.version == payment.version + 1


def test_the_schedule_queues_due_checks_and_the_checker_function_makes_them(dynamodb, monkeypatch):
    # Given the functions as deployed: a due-checks queue, and one due payment (real clock, moto)
    from local import template
    from local.emulator import lambda_context
    from paygate import service

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="due-checks")["QueueUrl"]
    boto3.client("secretsmanager").create_secret(
        Name=factories.SECRET_NAME, SecretString=json.dumps(factories.CREDENTIALS)
    )
    monkeypatch.setenv("DUE_CHECKS_QUEUE_URL", url)
    monkeypatch.setenv("ENABLED_PROVIDERS", "sandbox")
    service.reset()
    now = datetime.now(tz=factories.DEFAULT_NOW.tzinfo)
    payment = factories.record(at=now, due_at=now - timedelta(seconds=5))  # no provider id: reconciled
    service.payments().insert(payment)
    # When the schedule runs, then the queue's messages (and one that is not a due check) reach the checker
    found = template.handler("FindDueChecksFunction")({}, lambda_context("FindDueChecksFunction", 60))
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    records = [
        {"messageId": "good", "body": message["Body"], "receiptHandle": "r1", "eventSource": "aws:sqs"},
        {"messageId": "bad", "body": "{not json", "receiptHandle": "r2", "eventSource": "aws:sqs"},
    ]
    checker = template.handler("CheckPaymentsFunction")
    answer = checker({"Records": records}, lambda_context("CheckPaymentsFunction", 60))
    service.reset()
    # Then the schedule found and handed over one check, the checker made it, and only the bad one is retried
    assert (found["found"], found["handed"]) == (1, 1)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert service.payments().get(payment.id).status is Status.FAILED  # a create that never finished
    service.reset()
