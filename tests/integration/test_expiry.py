"""Due checks (find_due_checks) on DynamoDB Local, against the local stack's sandbox over HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from local.dynamodb_local import client as dynamodb_client
from paygate import service
from paygate.models import PaymentRecord, Status, utcnow
from paygate.providers.request import CreatePaymentRequest
from paygate.timing import LATE_PAYMENT_WINDOW
from tests import factories
from tests.factories import FixedClock

pytestmark = pytest.mark.integration
SHARDS = 4


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(utcnow())


def new_gateway(stack, dynamodb_local, clock) -> factories.Lifecycle:
    """A gateway on a table of its own (so a sweep sees only this test's payments), with the stack's
    providers (the simulators over HTTP) and a clock the test moves."""
    client = dynamodb_client(dynamodb_local.endpoint)
    return factories.lifecycle(
        client, clock, table=factories.new_table(client), providers=service.providers(), due_shards=SHARDS
    )


@pytest.fixture
def gateway(stack, dynamodb_local, clock) -> factories.Lifecycle:
    return new_gateway(stack, dynamodb_local, clock)


@pytest.fixture
def simulator(stack):
    return stack.simulators["sandbox"]


def create(gateway: factories.Lifecycle, stack, expires_in: str = "PT30M") -> PaymentRecord:
    request = CreatePaymentRequest(amount="10.00", currency="USD", provider="sandbox", expires_in=expires_in)
    return gateway.create(request, account_id=factories.ACCOUNT, callback_base_url=f"http://{stack.host}:{stack.port}")


def sweep(gateway: factories.Lifecycle) -> dict[str, int]:
    return gateway.sweep()


def test_unpaid_payment_expires_on_the_first_sweep_after_expires_at(gateway, stack, simulator, clock):
    payment = create(gateway, stack, expires_in="PT30M")
    reads_before = simulator.calls["read"]
    clock.advance(minutes=31)
    assert sweep(gateway)["checked"] == 1
    stored = gateway.payments.get(payment.id)
    assert stored.status is Status.EXPIRED
    assert stored.history[-1].source == "expiry"
    assert simulator.calls["read"] == reads_before + 1  # it asked the provider once, first
    assert stored.due_at is not None  # still watched for a late payment


def test_paid_payment_whose_callback_was_lost_succeeds_on_the_sweep(gateway, stack, simulator, clock):
    payment = create(gateway, stack)
    simulator.update(payment.provider_payment_id, status="succeeded")  # no callback sent
    clock.advance(minutes=1)
    sweep(gateway)
    stored = gateway.payments.get(payment.id)
    assert stored.status is Status.SUCCEEDED and stored.paid_late is False
    assert stored.history[-1].source == "sync"
    assert stored.due_at is None  # nothing left to watch


def test_payment_paid_after_expiry_succeeds_late(gateway, stack, simulator, clock):
    payment = create(gateway, stack, expires_in="PT10M")
    clock.advance(minutes=11)
    sweep(gateway)
    assert gateway.payments.get(payment.id).status is Status.EXPIRED
    simulator.update(payment.provider_payment_id, status="succeeded")
    clock.advance(hours=2)
    sweep(gateway)
    stored = gateway.payments.get(payment.id)
    assert stored.status is Status.SUCCEEDED
    assert stored.paid_late is True


def test_expired_payment_is_no_longer_watched_after_the_late_window(gateway, stack, clock):
    payment = create(gateway, stack, expires_in="PT10M")
    clock.advance(minutes=11)
    sweep(gateway)
    clock.now = payment.expires_at + LATE_PAYMENT_WINDOW + timedelta(minutes=1)
    sweep(gateway)
    stored = gateway.payments.get(payment.id)
    assert stored.status is Status.EXPIRED and stored.due_at is None


def test_pending_payment_is_checked_again_on_its_polling_plan(gateway, stack, clock):
    payment = create(gateway, stack)
    clock.advance(minutes=1)
    sweep(gateway)
    stored = gateway.payments.get(payment.id)
    assert stored.status is Status.PENDING
    assert stored.due_at == (clock() + timedelta(minutes=5)).replace(microsecond=0)  # kept to the second
    assert sweep(gateway)["checked"] == 0  # not due again yet


def test_write_ahead_record_whose_provider_call_never_finished_is_failed(gateway, clock):
    orphan = factories.record(at=clock(), due_at=clock() + timedelta(minutes=1))
    gateway.payments.insert(orphan)
    clock.advance(minutes=2)
    sweep(gateway)
    stored = gateway.payments.get(orphan.id)
    assert stored.status is Status.FAILED
    assert stored.failure_reason.startswith("reconciliation")
    assert stored.due_at is None


def test_sweep_cost_grows_with_due_payments_not_with_the_table(stack, dynamodb_local, clock):
    # Given two tables with the same 20 due payments, one of them with 2,000 more that are not due
    alone, crowded = new_gateway(stack, dynamodb_local, clock), new_gateway(stack, dynamodb_local, clock)
    for gateway in (alone, crowded):
        for _ in range(20):
            create(gateway, stack)
    not_due = [
        factories.record(at=clock(), provider_payment_id=f"sbx_later_{index}", due_at=clock() + timedelta(days=1))
        for index in range(2000)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(crowded.payments.insert, not_due))
    clock.advance(minutes=1)
    # When each is swept
    costs = []
    for gateway in (alone, crowded):
        gateway.payments.consumed_capacity = 0.0
        assert sweep(gateway)["checked"] == 20
        costs.append(gateway.payments.consumed_capacity)
    # Then the crowded sweep read about as much as the lone one (no Scan, only the due index)
    assert costs[0] > 0
    assert costs[1] <= costs[0] * 1.1, costs
