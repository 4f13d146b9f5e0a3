"""examples/consumer, fed as its rule and queue would feed it: the local stack's events for 200 payments
(paid, paid after processing, failed, cancelled; some refunded), delivered in shuffled order with
duplicates, through the rule's own pattern, in SQS batches (examples/consumer/replay_local.py)."""

from __future__ import annotations

import importlib.util
import random
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import boto3
import pytest

from tests.e2e.conftest import Api

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "consumer"
ENDINGS = ("succeeded", "processing", "failed", "cancelled")  # how payment i ends: ENDINGS[i % 4]


def load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


consumer = load("paygate_example_consumer", EXAMPLE / "consumer" / "app.py")
replay = load("paygate_example_replay", EXAMPLE / "replay_local.py")


@pytest.fixture(scope="module")
def history(stack) -> dict:
    """200 payments taken to their ends (10 of the paid ones refunded in part), and every event they
    caused, read page by page from the local event log as replay_local.py reads it."""
    api = Api(stack)
    cursor = next(replay.events(api.base))[1]  # from here on: only what this module causes
    finals, refunds = {}, {}
    for number in range(200):
        created = api.create(amount="20.00")
        ending = ENDINGS[number % 4]
        if ending == "cancelled":
            assert api.post(f"/payments/{created['id']}/cancel", {}).status_code == 200
        else:
            steps = ["processing", "succeeded"] if ending == "processing" else [ending]
            for status in steps:
                api.control("sandbox", created["provider_payment_id"], status)
        finals[created["id"]] = "succeeded" if ending == "processing" else ending
        if number < 40 and ending == "succeeded":
            made = api.post(f"/payments/{created['id']}/refunds", {"amount": "5.00"}).json()
            provider_id = api.get(f"/refunds/{made['id']}").json()["provider_refund_id"]
            api.http.post(f"{api.base}/_sim/sandbox/refunds/{provider_id}/status", json={"status": "succeeded"})
            refunds[made["id"]] = created["id"]
    caused = [event for page, _ in replay.events(api.base, cursor) for event in page]
    mine = [
        event
        for event in caused
        if (event["detail"].get("payment") or {}).get("id", event["detail"].get("payment_id")) in finals
    ]
    return {"finals": finals, "refunds": refunds, "events": mine}


@pytest.fixture
def seen(stack) -> Iterator[dict]:
    """The consumer's own table (on DynamoDB Local, as the stack's), its items by id after a feed."""
    name = f"consumer-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    consumer.table.cache_clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TABLE_NAME", name)
        yield {"read": lambda: {item["id"]: item for item in boto3.resource("dynamodb").Table(name).scan()["Items"]}}
    consumer.table.cache_clear()
    client.delete_table(TableName=name)


def delivered(events: list[dict], seed: int) -> list[dict]:
    """At least once and in any order: every event, a third of them again, some a third time, shuffled."""
    rng = random.Random(seed)
    again = rng.sample(events, len(events) // 3)
    copies = [*events, *again, *rng.sample(again, len(again) // 2)]
    rng.shuffle(copies)
    return copies


def test_the_consumer_records_each_paid_payment_and_refund_exactly_once(history, seen):
    # Given the events of 200 payments as the rule would pass them on: shuffled, with duplicates
    pattern = replay.rule_pattern()
    assert pattern == {"source": ["paygate"], "detail-type": ["payment.succeeded", "refund.succeeded"]}
    passed = [event for event in delivered(history["events"], seed=1) if replay.matches(pattern, event)]
    assert len(passed) > len({event["detail"]["event_id"] for event in passed})  # duplicates were delivered
    # When the consumer takes them, ten a batch
    failed = replay.feed(consumer.lambda_handler, passed, replay._LocalContext())
    # Then nothing was handed back, and each paid payment and each refund was recorded exactly once
    assert failed == []
    items = seen["read"]()
    paid = {payment for payment, final in history["finals"].items() if final == "succeeded"}
    assert {key for key, item in items.items() if key.startswith("pay_")} == paid
    assert {key for key in items if key.startswith("re_")} == set(history["refunds"])
    assert {(item["status"], item["writes"]) for item in items.values()} == {("succeeded", 1)}
    assert all(items[refund]["payment_id"] == payment for refund, payment in history["refunds"].items())


def test_subscribed_to_every_payment_event_it_ends_on_each_payments_final_status(history, seen):
    # Given every payment event of the 200, shuffled with duplicates (a rule for payment.*)
    payment_events = [event for event in history["events"] if event["detail-type"].startswith("payment.")]
    # When the consumer takes them
    assert replay.feed(consumer.lambda_handler, delivered(payment_events, seed=2), replay._LocalContext()) == []
    # Then each payment ends on the status Paygate ended it on, whatever came last, and no event was taken
    # twice: at most one write per distinct event (an older one arriving after a newer is not taken)
    items = seen["read"]()
    assert {payment: item["status"] for payment, item in items.items()} == history["finals"]
    distinct = Counter(event["detail"]["payment"]["id"] for event in payment_events)
    assert all(1 <= items[payment]["writes"] <= distinct[payment] for payment in history["finals"])


def test_an_event_of_a_schema_version_it_does_not_read_is_handed_back_alone(history, seen):
    good, unknown = history["events"][0], {**history["events"][1]}
    unknown["detail"] = {**unknown["detail"], "version": "2"}
    failed = replay.feed(consumer.lambda_handler, [good, unknown], replay._LocalContext())
    assert failed == [unknown]
    assert set(seen["read"]()) == {consumer.subject(good)[0]}
