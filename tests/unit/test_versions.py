"""`version` rises by exactly one per accepted change, on every path that changes a payment: create (the
write-ahead record, then the provider's answer), callback, sync, sweep, expiry, reconciliation and a
child payment noted on its parent. NOWPayments' adapter with canned answers takes every path."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paygate import correlation
from paygate.models import PaymentRecord, Status
from paygate.providers.request import CreatePaymentRequest
from tests import factories
from tests.factories import FakeSession

PROVIDER_ID = "5745459419"


def answer(status: str, **fields: object) -> tuple[int, dict]:
    return 200, {"payment_id": int(PROVIDER_ID), "payment_status": status, "pay_address": "addr", **fields}


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


@pytest.fixture
def gateway(dynamodb, clock, session):
    return factories.lifecycle(dynamodb, clock, enabled=["nowpayments"], session=session)


@pytest.fixture
def created(gateway, session) -> PaymentRecord:
    session.answers.append((201, {**answer("waiting")[1], "payment_id": PROVIDER_ID}))
    request = CreatePaymentRequest(amount="10.00", currency="USD", provider="nowpayments", pay_currency="btc")
    return gateway.create(request, account_id=factories.ACCOUNT, callback_base_url="https://gw.example")


def stored(gateway, record: PaymentRecord) -> PaymentRecord:
    found = gateway.payments.get(record.id)
    assert found is not None
    return found


def test_create_writes_version_1_ahead_then_2_with_the_providers_answer(gateway, created):
    assert created.version == 2 == stored(gateway, created).version
    assert created.provider_payment_id == PROVIDER_ID


def test_a_callback_is_one_version(gateway, created):
    ipn = factories.nowpayments_ipn(
        {"payment_id": int(PROVIDER_ID), "order_id": created.id, "payment_status": "confirming", "updated_at": 1}
    )
    after = gateway.callback("nowpayments", ipn.request()).record
    assert (after.status, after.version) == (Status.PROCESSING, created.version + 1)
    assert stored(gateway, created).version == created.version + 1


def test_a_child_payment_noted_on_its_parent_is_one_version(gateway, created):
    ipn = factories.nowpayments_ipn(
        {"payment_id": 999, "parent_payment_id": int(PROVIDER_ID), "payment_status": "finished", "order_id": None}
    )
    after = gateway.callback("nowpayments", ipn.request()).record
    assert (after.status, after.version) == (Status.PENDING, created.version + 1)


def test_a_sync_is_one_version(gateway, created, session):
    session.answers.append(answer("confirming"))
    after = gateway.read(created.id, account_id=factories.ACCOUNT, sync=True)
    assert (after.status, after.version) == (Status.PROCESSING, created.version + 1)


def test_a_due_check_that_moves_the_status_is_one_version(gateway, created, session, clock):
    session.answers.append(answer("finished"))
    clock.advance(minutes=2)
    gateway.sweep()  # the claim moves no version; the check is one write
    after = gateway.payments.get(created.id)
    assert (after.status, after.version) == (Status.SUCCEEDED, created.version + 1)


def test_a_due_check_that_only_moves_the_next_check_is_one_version(gateway, created, session, clock):
    session.answers.append(answer("waiting"))
    clock.advance(minutes=2)
    gateway.sweep()
    after = gateway.payments.get(created.id)
    assert (after.status, after.version) == (Status.PENDING, created.version + 1)
    assert after.due_at > created.due_at


def test_expiry_even_after_a_move_in_the_same_check_is_one_version(gateway, created, session, clock):
    # The provider reports a deposit seen on chain, and the payment's time is up: one write, both entries.
    session.answers.append(answer("confirming"))
    clock.now = created.expires_at + timedelta(seconds=1)
    gateway.sweep()
    after = gateway.payments.get(created.id)
    assert after.status is Status.EXPIRED
    assert [entry.status for entry in after.history][-2:] == [Status.PROCESSING, Status.EXPIRED]
    assert after.version == created.version + 1


def test_reconciling_an_unfinished_create_is_one_version(gateway, clock):
    orphan = factories.record(provider="nowpayments", at=clock(), due_at=clock())
    gateway.payments.insert(orphan)
    gateway.sweep()
    after = gateway.payments.get(orphan.id)
    assert (after.status, after.version) == (Status.FAILED, orphan.version + 1)


def test_a_create_the_provider_refuses_is_one_version_more_than_the_write_ahead(gateway, session, dynamodb):
    session.answers.append((400, {"status": False, "code": "INVALID_REQUEST_PARAMS", "message": "no"}))
    request = CreatePaymentRequest(amount="10.00", currency="USD", provider="nowpayments", pay_currency="btc")
    with pytest.raises(Exception, match="nowpayments"):
        gateway.create(request, account_id=factories.ACCOUNT, callback_base_url="https://gw.example")
    [item] = dynamodb.scan(TableName=gateway.payments.table_name)["Items"]
    assert (item["status"]["S"], item["version"]["N"]) == ("failed", "2")


def test_every_write_carries_the_id_of_the_work_that_made_it(gateway, session):
    """The create's request id on the create; the callback's on the change the callback made."""
    correlation.use("req-create")
    session.answers.append((201, {**answer("waiting")[1], "payment_id": PROVIDER_ID}))
    request = CreatePaymentRequest(amount="10.00", currency="USD", provider="nowpayments", pay_currency="btc")
    created = gateway.create(request, account_id=factories.ACCOUNT, callback_base_url="https://gw.example")
    assert stored(gateway, created).correlation_id == "req-create"

    correlation.use("req-callback")
    ipn = factories.nowpayments_ipn(
        {"payment_id": int(PROVIDER_ID), "order_id": created.id, "payment_status": "finished", "updated_at": 1}
    )
    gateway.callback("nowpayments", ipn.request())
    assert stored(gateway, created).correlation_id == "req-callback"

    # Work for nothing known keeps what the record last said.
    correlation.use(None)
    gateway.payments.table.change(stored(gateway, created), lambda record: record.model_copy())
    assert stored(gateway, created).correlation_id == "req-callback"
