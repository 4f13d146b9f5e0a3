"""A storm of duplicated, shuffled, concurrent callbacks on DynamoDB Local: every payment ends in its
right final status and its history never moves backwards."""

from __future__ import annotations

import itertools
import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from local.dynamodb_local import client as dynamodb_client
from paygate.errors import Busy
from paygate.models import NOTES_LIMIT, Status, utcnow
from tests import factories
from tests.factories import ALLOWED

S = Status
# (the callbacks a payment receives, its right final status)
SCENARIOS = [
    ([S.PROCESSING, S.PARTIALLY_PAID, S.SUCCEEDED], S.SUCCEEDED),
    ([S.PROCESSING, S.FAILED], S.FAILED),
    ([S.PENDING, S.PROCESSING, S.EXPIRED], S.EXPIRED),
    ([S.PROCESSING, S.PARTIALLY_PAID], S.PARTIALLY_PAID),
    ([S.PROCESSING, S.CANCELLED], S.CANCELLED),
    ([S.PROCESSING, S.FAILED, S.SUCCEEDED], S.SUCCEEDED),
    ([S.EXPIRED, S.SUCCEEDED], S.SUCCEEDED),
]
COPIES = 3
# What each report of money says was paid, of the payments' 1.00 USD.
PAID = {S.SUCCEEDED: "1.00", S.PARTIALLY_PAID: "0.40"}


@pytest.fixture
def gateway(dynamodb_local) -> factories.Lifecycle:
    client = dynamodb_client(dynamodb_local.endpoint)
    return factories.lifecycle(client, utcnow, table=factories.new_table(client))


@pytest.mark.integration
def test_storm_of_callbacks_ends_every_payment_right(gateway):
    # Given payments, each with its own scenario, and every callback sent several times in random order
    payments, deliveries = [], []
    for index in range(28):
        statuses, expected = SCENARIOS[index % len(SCENARIOS)]
        payment = factories.record(at=utcnow(), provider_payment_id=f"sbx_storm_{index}")
        gateway.payments.insert(payment)
        payments.append((payment, expected))
        deliveries += [
            factories.sandbox_callback(
                payment.id, f"sbx_storm_{index}", status.value, amount_paid=PAID.get(status)
            ).request()
            for status in statuses
            for _ in range(COPIES)
        ]
    random.Random(7).shuffle(deliveries)

    # When eight threads deliver them all at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda request: gateway.callback("sandbox", request), deliveries))

    # Then each payment is in its right final status, and each step of its history was allowed
    for payment, expected in payments:
        stored = gateway.payments.get(payment.id)
        assert stored.status is expected, payment.id
        steps = [entry.status for entry in stored.history]
        for before, after in itertools.pairwise(steps):
            assert after in ALLOWED[before], (payment.id, steps)
        assert stored.version == len(steps)


@pytest.mark.integration
def test_a_storm_of_refused_reports_on_one_payment_never_fails_and_never_buries_its_history(gateway):
    """200 authentic callbacks at once for one payment, each a success in another currency (each a note,
    no status change): every one is answered (applied, or Busy: 409 with Retry-After, never a 500), the
    notes stay a bounded list apart, and the payment's status changes are all still there."""
    payment = factories.record(at=utcnow(), provider_payment_id="sbx_one")
    gateway.payments.insert(payment)
    gateway.callback("sandbox", factories.sandbox_callback(payment.id, "sbx_one", "processing").request())
    reports = [
        factories.sandbox_callback(payment.id, "sbx_one", "succeeded", amount_paid=f"{n}.00", currency="EUR")
        for n in range(1, 201)
    ]

    def deliver(delivery):
        try:
            return gateway.callback("sandbox", delivery.request()).outcome
        except Busy as busy:
            assert busy.http_status == 409 and busy.retry_after
            return "busy"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(deliver, reports))

    assert set(outcomes) <= {"applied", "busy"} and outcomes.count("applied") > 0
    stored = gateway.payments.get(payment.id)
    assert stored.status is S.PROCESSING
    assert [entry.status for entry in stored.history[:2]] == [S.PENDING, S.PROCESSING]
    notes = [entry for entry in stored.history[2:]]
    assert 0 < len(notes) <= NOTES_LIMIT
    assert all("currency mismatch" in (entry.note or "") for entry in notes)
