"""A storm of duplicated, shuffled, concurrent callbacks on DynamoDB Local: every payment ends in its
right final status and its history never moves backwards."""

from __future__ import annotations

import itertools
import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from local.dynamodb_local import client as dynamodb_client
from paygate.models import Status, utcnow
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
