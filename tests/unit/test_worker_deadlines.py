"""Batch workers watch their remaining time: a record is started only with time enough for it, and what
is left is handed back (batchItemFailures, or the webhook queue) instead of being cut off by Lambda.

The invocation runs on a clock the test moves: each unit of work spends some of its time."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

import boto3
import pytest

from local import template
from local.emulator import LambdaContext
from local.template import ROOT
from paygate import service
from paygate.lifecycle.checks import MIN_SECONDS_FOR_A_CHECK
from paygate.webhooks.models import CreateEndpointRequest
from paygate.webhooks.sealing import SecretSealer
from paygate.webhooks.sender import SECONDS_FOR_AN_ATTEMPT, TIMEOUT_SECONDS, SendResult
from paygate.webhooks.service import Webhooks
from paygate.webhooks.store import WebhookStore
from tests import factories
from tests.unit.test_webhooks import event as payment_event
from tests.unit.test_webhooks import public_dns


@dataclass
class Invocation(LambdaContext):
    """A Lambda context whose remaining time is what `spend` has left of `timeout`."""

    timeout: float = 60.0
    spent: float = 0.0

    def spend(self, seconds: float) -> None:
        self.spent += seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout - self.spent) * 1000))


def invocation(function: str, timeout: float) -> Invocation:
    return Invocation(function_name=function, aws_request_id="req", deadline=0.0, timeout=timeout)


def sqs_batch(bodies: dict[str, str]) -> dict:
    """An SQS event of these messages (id -> body), shaped as the sample."""
    sample = json.loads((ROOT / "events" / "check_payments.json").read_text())["Records"][0]
    return {"Records": [{**sample, "messageId": key, "body": body} for key, body in bodies.items()]}


def handed_back(answer: dict) -> list[str]:
    return [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]


# --- deliver_webhooks: 10 events, 20 endpoints, 120 s ---------------------------------------------


@dataclass
class SlowMerchants:
    """Every POST takes the whole sender timeout of the invocation running it, and is answered 200."""

    running: Invocation | None = None
    started_with: list[float] = field(default_factory=list)  # seconds left when each POST began
    received: list[tuple[str, str]] = field(default_factory=list)  # (webhook-id, url)

    def __call__(self, url: str, body: bytes, headers: dict, *, allow_private: bool) -> SendResult:
        assert self.running is not None
        self.started_with.append(self.running.get_remaining_time_in_millis() / 1000)
        self.running.spend(TIMEOUT_SECONDS)
        self.received.append((headers["webhook-id"], url))
        return SendResult(http_status=200, latency_ms=int(TIMEOUT_SECONDS * 1000), error=None)


@pytest.fixture
def slow_webhooks(dynamodb, clock, monkeypatch):
    """The webhook worker's service on moto: 20 endpoints whose POSTs each take 10 s, and a queue of
    retries the test reads (delivery id, delay)."""
    merchants, queued = SlowMerchants(), []
    tables = factories.TABLES
    store = WebhookStore(tables["WebhookEndpointsTable"], tables["WebhookDeliveriesTable"], dynamodb, clock=clock)
    webhooks = Webhooks(
        store=store,
        clock=clock,
        sealer=SecretSealer(boto3.client("kms"), factories.WEBHOOK_SECRETS_KEY),
        retry_schedule=[5.0],
        lease_seconds=30,
        send=merchants,
        resolve=public_dns,
        enqueue_retry=lambda delivery_id, delay: queued.append((delivery_id, delay)),
    )
    for number in range(20):
        url = f"https://shop.example/hooks/{number}"
        webhooks.register(factories.ACCOUNT, CreateEndpointRequest.model_validate({"url": url}))
    monkeypatch.setattr(service, "webhooks", lambda: webhooks)
    return webhooks, merchants, queued


def test_the_webhook_worker_with_10_events_for_20_endpoints_ends_in_time_and_hands_back_the_rest(slow_webhooks, clock):
    webhooks, merchants, queued = slow_webhooks
    handler = template.handler("DeliverWebhooksFunction")
    events = {f"msg-{n}": json.dumps(payment_event(f"pay_{n}")) for n in range(10)}
    # When one invocation of 120 s gets the 10 events (200 POSTs of 10 s each)
    merchants.running = invocation("DeliverWebhooksFunction", 120)
    answer = handler(sqs_batch(events), merchants.running)
    # Then every POST it began had its full timeout left, and it ended within its 120 s
    assert merchants.started_with and min(merchants.started_with) >= SECONDS_FOR_AN_ATTEMPT
    assert merchants.running.spent <= 120
    assert len(merchants.received) == 11  # at 120, 110, ... 20 s left; 10 s left is too little
    # And it handed back the rest: the first event's other 9 deliveries to the queue, to be attempted
    # when their claim runs out, and the 9 events it did not start as batch item failures
    assert len(queued) == 9 and {delay for _, delay in queued} == {webhooks.lease_seconds}
    assert handed_back(answer) == [f"msg-{n}" for n in range(1, 10)]

    # When the queue gives back what was handed back, to invocations of 120 s, until nothing is left
    pending = {key: events[key] for key in handed_back(answer)}
    for round_ in range(30):
        if not pending:
            break
        clock.advance(seconds=webhooks.lease_seconds)  # the retries' delay: the claims have run out
        pending |= {f"retry-{round_}-{i}": json.dumps({"delivery_id": id_}) for i, (id_, _) in enumerate(queued)}
        queued.clear()
        merchants.running = invocation("DeliverWebhooksFunction", 120)
        answer = handler(sqs_batch(pending), merchants.running)
        assert merchants.running.spent <= 120
        pending = {key: pending[key] for key in handed_back(answer)}
    # Then each of the 200 deliveries was made exactly once, none lost and none twice
    assert not pending and not queued
    assert len(merchants.received) == len(set(merchants.received)) == 200
    assert min(merchants.started_with) >= SECONDS_FOR_AN_ATTEMPT


# --- check_payments ---------------------------------------------------------------------------------


@dataclass
class SlowChecker:
    """Each check takes 20 s of the invocation."""

    running: Invocation
    checked: list[str] = field(default_factory=list)

    def check(self, due_check, *, time_left) -> str:
        assert time_left() >= MIN_SECONDS_FOR_A_CHECK
        self.running.spend(20)
        self.checked.append(due_check.payment_id)
        return "checked"


def test_the_checker_hands_back_the_checks_it_has_no_time_for(monkeypatch):
    running = invocation("CheckPaymentsFunction", 60)
    checker = SlowChecker(running)
    monkeypatch.setattr(service, "checker", lambda: checker)
    monkeypatch.setattr(service, "checked_providers", lambda: [])
    sample = json.loads((ROOT / "events" / "check_payments.json").read_text())["Records"][0]["body"]
    bodies = {f"check-{n}": json.dumps({**json.loads(sample), "payment_id": f"pay_{n}"}) for n in range(5)}
    # When five checks of 20 s each come to an invocation of 60 s
    answer = template.handler("CheckPaymentsFunction")(sqs_batch(bodies), running)
    # Then three were made (at 60, 40 and 20 s left), and the other two were handed back, not started
    assert checker.checked == ["pay_0", "pay_1", "pay_2"]
    assert handed_back(answer) == ["check-3", "check-4"]
    assert running.spent <= 60


# --- publish_events ---------------------------------------------------------------------------------


@dataclass
class SlowBus:
    """Each event published takes 4 s of the invocation."""

    running: Invocation
    published: list[str] = field(default_factory=list)

    def publish(self, event) -> None:
        self.running.spend(4)
        self.published.append(event.event_id)


def test_the_stream_consumer_hands_back_the_records_it_has_no_time_for(monkeypatch):
    running = invocation("PublishEventsFunction", 15)
    bus = SlowBus(running)
    monkeypatch.setattr(service, "publisher", lambda: bus)
    sample = json.loads((ROOT / "events" / "publish_events.json").read_text())["Records"][0]
    records = []
    for number in range(4):
        record = copy.deepcopy(sample)
        record["dynamodb"]["SequenceNumber"] = str(100 + number)
        record["dynamodb"]["NewImage"]["id"] = {"S": f"pay_{number}"}
        records.append(record)
    # When four records of 4 s each come to an invocation of 15 s
    answer = template.handler("PublishEventsFunction")({"Records": records}, running)
    # Then three were published (at 15, 11 and 7 s left; 3 s is too few), the stream gets the last back
    assert [event_id.split(":")[0] for event_id in bus.published] == ["pay_0", "pay_1", "pay_2"]
    assert handed_back(answer) == ["103"]
    assert running.spent <= 15
