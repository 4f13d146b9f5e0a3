"""Merchant webhooks over HTTP against the local stack: the endpoint API, real deliveries to the
/_sim/merchant receiver, verified the way a merchant would (the standardwebhooks library), retries,
410, accounts, and a thousand status changes with a failing receiver and a worker that dies."""

from __future__ import annotations

import contextlib
import json
import random
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import boto3
import pytest
from standardwebhooks import Webhook

from paygate import service
from paygate.models import Money, Status
from paygate.providers.base import ProviderState
from paygate.webhooks.models import MAX_ENDPOINTS
from tests import factories


def webhook_id(receipt: dict) -> str:
    """The webhook-id header of a receipt (header names compare case-insensitively)."""
    return next(value for name, value in receipt["headers"].items() if name.lower() == "webhook-id")


def receiver_url(api, name: str) -> str:
    return f"{api.base}/_sim/merchant/{name}"


REGISTERED: list[tuple[object, str]] = []


def register(api, name: str, **fields) -> dict:
    answer = api.post("/webhook-endpoints", {"url": receiver_url(api, name), **fields})
    assert answer.status_code == 201, answer.text
    REGISTERED.append((api, answer.json()["id"]))
    return answer.json()


@pytest.fixture(autouse=True)
def quiet(stack):
    """Events of earlier tests are delivered before this one registers anything, and its endpoints are
    deleted after it, so each test's receivers get its own events only."""
    stack.deliver_webhooks()
    yield
    for client, endpoint_id in REGISTERED:
        client.http.delete(f"{client.base}/webhook-endpoints/{endpoint_id}", headers={"X-API-Key": client.api_key})
    REGISTERED.clear()


@pytest.fixture
def receiver(stack):
    """A fresh receiver name on the stack's merchant simulator."""
    name = f"shop-{uuid.uuid4().hex[:8]}"
    yield name
    stack.merchant.configure(name)


def succeed_a_payment(api, stack) -> dict:
    created = api.create()
    api.control("sandbox", created["provider_payment_id"], "succeeded")
    stack.deliver_webhooks()
    return created


def test_every_delivery_verifies_with_the_standard_webhooks_library(api, stack, receiver):
    endpoint = register(api, receiver)
    secret = endpoint["secret"]
    assert (secret.startswith("whsec_") and "secret" not in api.get(f"/webhook-endpoints/{endpoint['id']}").json()) or (
        api.get(f"/webhook-endpoints/{endpoint['id']}").json()["secret"] is None
    )
    created = succeed_a_payment(api, stack)
    received = stack.merchant.received(receiver)
    assert [r["status"] for r in received] == [200, 200]  # pending, then succeeded
    payloads = [Webhook(secret).verify(r["body"], r["headers"]) for r in received]
    assert [p["type"] for p in payloads] == ["payment.pending", "payment.succeeded"]
    assert all(p["data"]["payment"]["id"] == created["id"] for p in payloads)
    # After a rotation, both secrets verify during the overlap
    rotated = api.post(f"/webhook-endpoints/{endpoint['id']}/rotate-secret").json()
    assert rotated["secret"] != secret
    succeed_a_payment(api, stack)
    for r in stack.merchant.received(receiver)[2:]:
        Webhook(secret).verify(r["body"], r["headers"])
        Webhook(rotated["secret"]).verify(r["body"], r["headers"])


def test_secrets_are_sealed_in_the_table_and_a_record_from_before_still_signs(api, stack, receiver):
    """On DynamoDB Local and the stack's KMS (moto's, embedded as its other services)."""
    endpoint = register(api, receiver)
    dynamodb, table = boto3.client("dynamodb"), stack.tables["WebhookEndpointsTable"]
    [item] = [found for found in dynamodb.scan(TableName=table)["Items"] if found["id"]["S"] == endpoint["id"]]
    assert item["secret"]["S"].startswith("kms:") and endpoint["secret"] not in json.dumps(item)
    # A record written before sealing, its secret in clear, signs as it did
    legacy = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
    dynamodb.put_item(TableName=table, Item={**item, "secret": {"S": legacy}})
    succeed_a_payment(api, stack)
    received = stack.merchant.received(receiver)
    assert received and all(Webhook(legacy).verify(r["body"], r["headers"]) for r in received)


def test_a_receiver_failing_three_times_gets_it_the_fourth_with_the_same_id(api, stack, receiver):
    endpoint = register(api, receiver, events=["payment.succeeded"])
    stack.merchant.configure(receiver, fail_next=3)
    created = succeed_a_payment(api, stack)
    received = stack.merchant.received(receiver)
    assert [r["status"] for r in received] == [500, 500, 500, 200]
    assert {webhook_id(r) for r in received} == {f"{created['id']}:{created['version'] + 1}"}
    [logged] = api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json()["data"]
    assert logged["status"] == "delivered"
    assert [a["http_status"] for a in logged["attempts"]] == [500, 500, 500, 200]
    assert all(a["latency_ms"] >= 0 and a["at"] for a in logged["attempts"])


def test_a_manual_retry_sends_it_again(api, stack, receiver):
    endpoint = register(api, receiver, events=["payment.succeeded"])
    succeed_a_payment(api, stack)
    [delivery] = api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json()["data"]
    answer = api.post(f"/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}/retry")
    assert answer.status_code == 202 and answer.json()["status"] == "pending"
    stack.deliver_webhooks()
    first, again = stack.merchant.received(receiver)
    assert first["body"] == again["body"] and webhook_id(first) == webhook_id(again)


def test_an_endpoint_answering_410_is_disabled(api, stack, receiver):
    endpoint = register(api, receiver)
    stack.merchant.configure(receiver, status=410)
    succeed_a_payment(api, stack)
    shown = api.get(f"/webhook-endpoints/{endpoint['id']}").json()
    assert (shown["status"], shown["disabled_reason"]) == ("disabled", "the endpoint answered 410 Gone")
    assert len(stack.merchant.received(receiver)) == 1  # nothing after the 410


def test_endpoints_and_deliveries_of_one_account_are_invisible_to_another(api, other_merchant, stack, receiver):
    endpoint = register(api, receiver)
    succeed_a_payment(api, stack)
    [delivery, *_] = api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json()["data"]
    for answer in (
        other_merchant.get(f"/webhook-endpoints/{endpoint['id']}"),
        other_merchant.get(f"/webhook-endpoints/{endpoint['id']}/deliveries"),
        other_merchant.post(f"/webhook-endpoints/{endpoint['id']}/rotate-secret"),
        other_merchant.post(f"/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}/retry"),
        other_merchant.http.delete(
            f"{api.base}/webhook-endpoints/{endpoint['id']}", headers={"X-API-Key": other_merchant.api_key}
        ),
    ):
        assert answer.status_code == 404, answer.text
    listed = other_merchant.get("/webhook-endpoints").json()["data"]
    assert endpoint["id"] not in [e["id"] for e in listed]
    assert api.get(f"/webhook-endpoints/{endpoint['id']}").status_code == 200  # still there for its owner
    # and B's payments never reach A's endpoint
    before = len(stack.merchant.received(receiver))
    succeed_a_payment(other_merchant, stack)
    assert len(stack.merchant.received(receiver)) == before


def test_delete_ends_an_endpoint(api, stack, receiver):
    endpoint = register(api, receiver)
    answer = api.http.delete(f"{api.base}/webhook-endpoints/{endpoint['id']}", headers={"X-API-Key": api.api_key})
    assert answer.status_code == 200 and answer.json() == {
        "id": endpoint["id"],
        "object": "webhook_endpoint",
        "deleted": True,
    }
    assert api.get(f"/webhook-endpoints/{endpoint['id']}").status_code == 404
    succeed_a_payment(api, stack)
    assert stack.merchant.received(receiver) == []


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"url": "ftp://shop.example/hooks"}, "url"),
        ({"url": "https://shop.example/h", "events": ["payment.refunded"]}, "events.0"),
        ({"url": "https://shop.example/h", "events": []}, "events"),
        ({"url": "https://shop.example/h", "secret": "mine"}, "secret"),
    ],
)
def test_bad_registrations_are_422_naming_the_field(api, body, param):
    answer = api.post("/webhook-endpoints", body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["param"] == param


# --- a thousand status changes --------------------------------------------------------------------

STEPS = [Status.PROCESSING, Status.PARTIALLY_PAID, Status.SUCCEEDED]  # after pending: 4 events a payment
# What the reports of money say was paid, of each payment's 1.00 USD.
PAID = {Status.PARTIALLY_PAID: Money(Decimal("0.40"), "USD"), Status.SUCCEEDED: Money(Decimal("1.00"), "USD")}


def test_a_thousand_changes_reach_every_endpoint_once_in_order_though_one_fails_and_the_worker_dies(
    api, stack, monkeypatch
):
    names = [f"shop-{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
    everything, succeeded_only, flaky = names
    register(api, everything)
    register(api, succeeded_only, events=["payment.succeeded"])
    register(api, flaky)
    stack.merchant.configure(flaky, fail_rate=0.3, seed=7)
    account = stack.api_keys[api.api_key]
    payments_store, reports = service.payments(), service.reports()

    # 250 payments x 4 status changes, made through the gateway, in random order across payments
    payments = [
        factories.record(account_id=account, provider_payment_id=f"sbx_storm_{uuid.uuid4().hex}") for _ in range(250)
    ]
    for payment in payments:
        payments_store.insert(payment)
    changes = [(payment, step) for payment in payments for step in STEPS]
    random.Random(3).shuffle(changes)
    changes.sort(key=lambda change: STEPS.index(change[1]))  # each payment's own changes stay in order
    half = len(changes) // 2

    def change(payment, step) -> None:
        state = ProviderState(step, step.value, paid=PAID.get(step))
        reports.apply(payments_store.owned(payment.id, account_id=None), state, source="sync")

    def apply_in_order(part) -> None:
        # Payments in parallel, each payment's changes one after another
        for step in STEPS:
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda c: change(*c), [c for c in part if c[1] is step]))

    apply_in_order(changes[:half])

    # The worker dies in the middle: its POSTs raise as a killed process would, for a while
    stack.stream.pump()
    webhooks = service.webhooks()
    real_send, deaths = webhooks.send, {"left": 20}

    def dying_send(*args, **kwargs):
        if deaths["left"]:
            deaths["left"] -= 1
            raise SystemExit("killed")
        return real_send(*args, **kwargs)

    monkeypatch.setattr(webhooks, "send", dying_send)
    for _ in range(5):
        with contextlib.suppress(SystemExit):  # the worker died with its batch; what it held is not lost
            stack.webhooks.pump()
    monkeypatch.setattr(webhooks, "send", real_send)  # restarted

    apply_in_order(changes[half:])
    deadline = time.monotonic() + 240
    expected = {p.id: [1, 2, 3, 4] for p in payments}
    while time.monotonic() < deadline:
        stack.deliver_webhooks()
        if all(delivered(stack, name, expected) == wanted(expected, name == succeeded_only) for name in names):
            break
        time.sleep(1.1)  # claims of the dead worker run out, hidden messages come back
    for name in names:
        assert delivered(stack, name, expected) == wanted(expected, name == succeeded_only), name
    assert sum(r["status"] != 200 for r in stack.merchant.received(flaky)) > 0  # it did fail, and was retried


def delivered(stack, name: str, payments: dict) -> dict[str, list[int]]:
    """Per payment of the test, the sequences a receiver acknowledged, after deduplication on webhook-id,
    sorted as a receiver would order them."""
    seen: dict[str, dict[str, int]] = defaultdict(dict)
    for receipt in stack.merchant.received(name):
        payload = json.loads(receipt["body"])
        if receipt["status"] == 200 and payload["data"]["payment"]["id"] in payments:
            seen[payload["data"]["payment"]["id"]][webhook_id(receipt)] = payload["data"]["sequence"]
    return {payment: sorted(ids.values()) for payment, ids in seen.items()}


def wanted(expected: dict[str, list[int]], succeeded_only: bool) -> dict[str, list[int]]:
    return {payment: [4] if succeeded_only else sequences for payment, sequences in expected.items()}


def test_the_endpoint_limit_holds_when_registrations_race_and_a_payment_reaches_every_endpoint(other_merchant, stack):
    """40 registrations at once for one account: exactly as many are created as the limit leaves room
    for (the count is written in the same transaction as each endpoint), and a payment's events reach
    every one of them."""
    api = other_merchant
    before = len(api.get("/webhook-endpoints").json()["data"])
    name = f"shop-race-{uuid.uuid4().hex[:6]}"

    def attempt(_: int):
        return api.post("/webhook-endpoints", {"url": receiver_url(api, name)})

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(40)))
    made = [answer.json() for answer in answers if answer.status_code == 201]
    REGISTERED.extend((api, endpoint["id"]) for endpoint in made)
    assert {answer.status_code for answer in answers} <= {201, 422, 409}
    assert len(made) == MAX_ENDPOINTS - before
    assert all(a.json()["error"]["param"] == "url" for a in answers if a.status_code == 422)
    assert len(api.get("/webhook-endpoints").json()["data"]) == MAX_ENDPOINTS

    stack.deliver_webhooks()
    created = api.create()
    stack.deliver_webhooks()
    reached = {
        value
        for receipt in stack.merchant.received(name)
        for key, value in receipt["headers"].items()
        if key.lower() == "webhook-id" and json.loads(receipt["body"])["data"]["payment"]["id"] == created["id"]
    }
    assert len(stack.merchant.received(name)) >= len(made) and len(reached) == 1
    deliveries = [api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json()["data"] for endpoint in made]
    assert all(len(log) == 1 for log in deliveries)
