"""Every (from, to) pair of statuses, applied through the store, against the rules of DESIGN.md §3."""

from __future__ import annotations

import itertools

import pytest

from paygate.config import Settings
from paygate.lifecycle import Gateway
from paygate.models import HistoryEntry, Payment, Status
from paygate.providers import Registry
from paygate.providers.base import ProviderState
from paygate.store import PaymentStore
from tests.conftest import local_credentials

S = Status
# Written out by hand from the rules, not computed by the code under test.
ALLOWED = {
    S.PENDING: {S.PROCESSING, S.PARTIALLY_PAID, S.SUCCEEDED, S.FAILED, S.EXPIRED, S.CANCELLED},
    S.PROCESSING: {S.PARTIALLY_PAID, S.SUCCEEDED, S.FAILED, S.EXPIRED, S.CANCELLED},
    S.PARTIALLY_PAID: {S.SUCCEEDED, S.FAILED, S.EXPIRED, S.CANCELLED},
    S.SUCCEEDED: set(),
    S.FAILED: {S.SUCCEEDED},
    S.EXPIRED: {S.SUCCEEDED},
    S.CANCELLED: {S.SUCCEEDED},
}
PAID_LATE_FROM = {S.FAILED, S.EXPIRED, S.CANCELLED}


@pytest.fixture
def gateway(dynamodb, clock) -> Gateway:
    settings = Settings()
    return Gateway(
        store=PaymentStore(settings.payments_table, dynamodb),
        providers=Registry(settings, credentials=local_credentials, clock=clock),
        clock=clock,
    )


def stored_payment(gateway: Gateway, status: Status, clock) -> Payment:
    payment = Payment(
        id=f"pay_{status.value}",
        status=status,
        amount="1.00",
        currency="USD",
        provider="sandbox",
        created_at=clock(),
        updated_at=clock(),
        version=3,
        history=[HistoryEntry(status=status, at=clock(), source="api")],
    )
    gateway.store.insert(payment)
    return payment


@pytest.mark.parametrize(("current", "new"), list(itertools.product(Status, Status)))
def test_transition(gateway, clock, current, new):
    # Given a stored payment in `current`
    payment = stored_payment(gateway, current, clock)
    clock.advance(seconds=5)
    # When the provider reports `new`
    gateway.apply(payment, ProviderState(status=new, provider_status=new.value), source="callback")
    # Then it moved exactly when the rules allow it, with one history entry and one version more
    stored = gateway.store.get(payment.id)
    assert stored is not None
    if new in ALLOWED[current]:
        assert stored.status is new
        assert stored.version == 4
        assert [entry.status for entry in stored.history] == [current, new]
        assert stored.updated_at == clock()
        assert stored.paid_late is (new is S.SUCCEEDED and current in PAID_LATE_FROM)
    else:
        assert stored == payment


def test_unknown_provider_status_changes_nothing(gateway, clock):
    payment = stored_payment(gateway, S.PENDING, clock)
    gateway.apply(payment, ProviderState(status=None, provider_status="mystery"), source="callback")
    assert gateway.store.get(payment.id) == payment


def test_history_keeps_the_last_fifty_changes(gateway, clock):
    payment = stored_payment(gateway, S.PENDING, clock)
    payment = payment.model_copy(update={"history": payment.history * 60})
    gateway.store.replace(payment.model_copy(update={"version": payment.version + 1}))
    moved = gateway.apply(gateway.store.get(payment.id), ProviderState(S.PROCESSING, "processing"), source="sync")
    assert len(moved.history) == 50
    assert moved.history[-1].status is S.PROCESSING
