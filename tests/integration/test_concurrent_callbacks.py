"""A storm of duplicated, shuffled, concurrent callbacks on DynamoDB Local: every payment ends in its
right final status and its history never moves backwards."""

from __future__ import annotations

import itertools
import json
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from local import template
from local.dynamodb_local import client as dynamodb_client
from local.stack import LOCAL_CREDENTIALS
from paygate.config import Settings
from paygate.lifecycle import Gateway
from paygate.models import HistoryEntry, Payment, Status, utcnow
from paygate.providers import Registry
from paygate.providers.base import CallbackRequest
from paygate.providers.sandbox import sign
from paygate.store import PaymentStore
from tests.conftest import local_credentials
from tests.unit.test_status_machine import ALLOWED

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


@pytest.fixture
def gateway(dynamodb_local) -> Gateway:
    client = dynamodb_client(dynamodb_local.endpoint)
    table = f"payments-{uuid.uuid4().hex[:8]}"
    template.create_tables(client, {"PaymentsTable": table})
    settings = Settings(payments_table=table)
    return Gateway(
        store=PaymentStore(table, client), providers=Registry(settings, credentials=local_credentials), clock=utcnow
    )


def callback(payment: Payment, status: Status) -> CallbackRequest:
    body = json.dumps(
        {
            "event_id": f"evt_{uuid.uuid4().hex}",
            "id": payment.provider_payment_id,
            "reference": payment.id,
            "status": status.value,
        }
    ).encode()
    header = sign(LOCAL_CREDENTIALS["sandbox"]["webhook_secret"], int(time.time()), body)
    return CallbackRequest(headers={"paygate-signature": header}, body=body, source_ip="127.0.0.1")


@pytest.mark.integration
def test_storm_of_callbacks_ends_every_payment_right(gateway):
    # Given payments, each with its own scenario, and every callback sent several times in random order
    payments, deliveries = [], []
    for index in range(28):
        statuses, expected = SCENARIOS[index % len(SCENARIOS)]
        now = utcnow()
        payment = Payment(
            id=f"pay_storm_{index}",
            status=S.PENDING,
            amount="1.00",
            currency="USD",
            provider="sandbox",
            provider_payment_id=f"sbx_storm_{index}",
            created_at=now,
            updated_at=now,
            history=[HistoryEntry(status=S.PENDING, at=now, source="api")],
        )
        gateway.store.insert(payment)
        payments.append((payment, expected))
        deliveries += [callback(payment, status) for status in statuses for _ in range(COPIES)]
    random.Random(7).shuffle(deliveries)

    # When eight threads deliver them all at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda request: gateway.handle_callback("sandbox", request), deliveries))

    # Then each payment is in its right final status, and each step of its history was allowed
    for payment, expected in payments:
        stored = gateway.store.get(payment.id)
        assert stored.status is expected, payment.id
        steps = [entry.status for entry in stored.history]
        for before, after in itertools.pairwise(steps):
            assert after in ALLOWED[before], (payment.id, steps)
        assert stored.version == len(steps)
