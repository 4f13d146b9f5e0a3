"""`make bench`: numbers, not pass/fail. Ratios within one run, since the machine is shared and noisy.

1. Cold start as Lambda has it (bench/cold.py): init plus first invocation, from the built layer, paired
   with a floor of `import boto3` and one GetItem.
2. Warm latency (bench/warm.py): p50 and p99 over 2,000 invocations against DynamoDB Local, paired with
   the same calls made directly.
3. DynamoDB work of one payment lifecycle (create, two callbacks, one read) on DynamoDB Local, counted
   with ReturnConsumedCapacity.
4. A sweep of 100 due payments among N not due, against the same 100 alone (consumed capacity).
5. Due-check capacity (bench/capacity.py): checks a minute at concurrency 1, 4 and 16 among 100,000 open
   payments, within a provider's rate limit; then the rate limiter alone at 1,000 checks a second
   (bench/rate_limiter.py): checks let through, writes of its busiest item a second, cost a check."""

from __future__ import annotations

import json
import os
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from typing import Any

import requests

from bench import capacity, cold, warm
from local import template
from local.dynamodb_local import DynamoDBLocal
from local.dynamodb_local import client as dynamodb_client


def lifecycle_capacity(endpoint: str) -> None:
    from paygate.models import Money, Status, utcnow
    from paygate.providers.base import CreatedPayment, Provider, ProviderState
    from paygate.providers.registry import Registry
    from paygate.providers.request import CreatePaymentRequest
    from paygate.store.payments import PaymentStore

    class InstantProvider(Provider):
        """Answers at once, so only DynamoDB is counted."""

        name = "sandbox"
        default_lifetime = max_lifetime = timedelta(hours=1)

        def create(self, payment, request, context):
            return CreatedPayment(provider_payment_id=f"p_{payment.id}", state=ProviderState(Status.PENDING, "pending"))

        def fetch(self, payment):
            return ProviderState(payment.status, payment.status.value)

        def verify_callback(self, request):
            raise NotImplementedError

    client = dynamodb_client(endpoint)
    table = f"bench-{uuid.uuid4().hex[:8]}"
    template.create_tables(client, {"PaymentsTable": table})
    store = PaymentStore(table, client)
    registry = Registry(
        _settings(table).providers(), credentials=lambda *_, **__: {"api_key": "k", "webhook_secret": "s"}
    )
    registry._providers["sandbox"] = InstantProvider(
        base_url="", credentials={"api_key": "k", "webhook_secret": "s"}, session=requests.Session(), clock=utcnow
    )
    registry._read_at["sandbox"] = utcnow()
    create, reports, read = _use_cases(store, registry)
    request = CreatePaymentRequest(amount="10.00", currency="USD", provider="sandbox")
    payment = create(request, account_id="bench", callback_base_url="http://localhost")
    after_create = store.consumed_capacity
    for status in (Status.PROCESSING, Status.SUCCEEDED):  # what a verified callback does to the store
        payment = reports.apply(
            store.owned(payment.id, account_id=None),
            ProviderState(status, status.value, paid=Money(Decimal("10.00"), "USD")),
            source="callback",
        )
    after_callbacks = store.consumed_capacity
    read(payment.id, account_id="bench")
    total = store.consumed_capacity
    print("\n## DynamoDB work per payment lifecycle (capacity units, DynamoDB Local)")
    print("| step | units |\n|---|---|")
    print(f"| create (write-ahead, provider ids) | {after_create:g} |")
    print(f"| two callbacks (read, conditional write each) | {after_callbacks - after_create:g} |")
    print(f"| one read | {total - after_callbacks:g} |\n| **total** | **{total:g}** |")


def sweep_capacity(endpoint: str, not_due: int) -> None:
    from paygate.lifecycle.checks import Checker
    from paygate.lifecycle.reports import Reports
    from paygate.models import PaymentRecord, Status, utcnow
    from paygate.providers.registry import Registry
    from paygate.store.payments import PaymentStore

    client = dynamodb_client(endpoint)
    now = utcnow()
    costs = []
    for extra in (0, not_due):
        table = f"bench-{uuid.uuid4().hex[:8]}"
        template.create_tables(client, {"PaymentsTable": table}, streams=False)
        store = PaymentStore(table, client)

        def put(index: int, due: bool, store: PaymentStore = store) -> None:
            store.insert(
                PaymentRecord(
                    id=f"pay_{'due' if due else 'later'}_{index}",
                    status=Status.PENDING,
                    amount="1.00",
                    currency="USD",
                    provider="sandbox",
                    created_at=now,
                    updated_at=now,
                    due_at=now - timedelta(seconds=1) if due else now + timedelta(days=1),
                )
            )

        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda i: put(i, False), range(extra)))
        for index in range(100):
            put(index, True)
        registry = Registry(_settings(table).providers(), credentials=lambda *_, **__: {})
        checker = Checker(store, registry, Reports(store, utcnow), utcnow)
        store.consumed_capacity = 0.0
        checker.sweep(time_left=lambda: 60.0)  # reconciles the 100 (no provider id)
        costs.append(store.consumed_capacity)
    print(
        f"\n## Sweep of 100 due payments (capacity units)\n| table | units |\n|---|---|\n| 100 due alone | "
        f"{costs[0]:g} |\n| 100 due among {not_due:,} not due | {costs[1]:g} ({costs[1] / costs[0]:.2f} x) |"
    )


def _settings(payments_table: str):
    from paygate.config import Settings

    return Settings(
        payments_table=payments_table,
        idempotency_table="bench-idempotency",
        event_bus_name="bench",
        webhook_endpoints_table="bench-endpoints",
        webhook_deliveries_table="bench-deliveries",
        refunds_table="bench-refunds",
        accounts_table="bench-accounts",
        api_keys_table="bench-api-keys",
    )


def _use_cases(store: Any, registry: Any) -> tuple[Any, Any, Any]:
    """Create, apply a report, read: for payments that name their provider (no routing, so no circuit is
    ever read)."""
    from paygate.checkout.links import CheckoutLinks
    from paygate.lifecycle.attempts import Attempts
    from paygate.lifecycle.create import CreatePayment
    from paygate.lifecycle.reports import Reports
    from paygate.lifecycle.sync import ReadPayment
    from paygate.models import utcnow
    from paygate.providers.circuits import Circuits

    circuits = Circuits("bench-circuits", store.client, failure_threshold=5, recovery_seconds=60)
    links = CheckoutLinks(lambda: [b"bench"])
    reports = Reports(store, utcnow)
    create = CreatePayment(store, registry, Attempts(store, circuits, utcnow), links, utcnow)
    return create, reports, ReadPayment(store, registry, reports)


def main() -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    cold.report(cold.measure(int(os.environ.get("BENCH_RUNS", 9))))
    server = DynamoDBLocal()
    try:
        print()
        warm.report(warm.measure(server.endpoint, int(os.environ.get("BENCH_INVOCATIONS", 2000))))
        lifecycle_capacity(server.endpoint)
        sweep_capacity(server.endpoint, int(os.environ.get("BENCH_NOT_DUE", 100_000)))
    finally:
        server.stop()
    capacity.main()
    print(json.dumps({"python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
