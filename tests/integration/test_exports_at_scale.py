"""An export of 10,000 payments and 500 refunds on DynamoDB Local, written by the export worker's use
case to moto's S3: its peak memory (tracemalloc) stays far under a small Lambda's, and the file opens
with Python's csv module, one row per payment and per refund, gross minus fee equal to net on every row
that carries both."""

from __future__ import annotations

import csv
import io
import tracemalloc
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import boto3
import pytest

from local import template
from local.dynamodb_local import client as dynamodb_client
from local.dynamodb_local import free_port
from local.s3 import MotoServer
from paygate.exports.models import CreateExportRequest, ExportStatus
from paygate.exports.service import Exports
from paygate.models import PaymentRecord, Status
from paygate.refunds import Refund, RefundStatus
from paygate.store.payments import PaymentStore
from tests import factories

pytestmark = pytest.mark.integration
PAYMENTS, REFUNDS = 10_000, 500
ACCOUNT = "acct_exports:test"
START = factories.DEFAULT_NOW
PEAK_LIMIT = 128 * 1024 * 1024
# What a provider charged, where the models carry it (written only if they have the fields).
HAS_FEES = {"fee", "net"} <= set(PaymentRecord.model_fields)
REFUND_FEES = {"fee", "net"} <= set(Refund.model_fields)


def payment(n: int) -> PaymentRecord:
    at = START + timedelta(seconds=n)
    amount = Decimal(10 + n % 90) + Decimal("0.25")
    money: dict = {"fee": "0.55", "net": str(amount - Decimal("0.55"))} if HAS_FEES else {}
    record = factories.record(
        account_id=ACCOUNT, at=at, status=Status.SUCCEEDED, amount=str(amount), amount_received=str(amount),
        provider_payment_id=f"sbx_{n}", reference=f"order-{n}", **money,
    )  # fmt: skip
    if n % (PAYMENTS // REFUNDS):
        return record
    back = Decimal("1.50")
    # A refund's net is what leaves the balance: the amount and the provider's fee for it.
    fees: dict = {"fee": "0.10", "net": str(back + Decimal("0.10"))} if REFUND_FEES else {}
    refund = Refund(
        id=f"re_{n}", payment_id=record.id, status=RefundStatus.SUCCEEDED, amount=str(back), currency="USD",
        livemode=False, provider="sandbox", created_at=at + timedelta(hours=1), updated_at=at + timedelta(hours=1),
        **fees,
    )  # fmt: skip
    return record.model_copy(update={"refunds": [refund], "amount_refunded": str(back)})


@pytest.fixture(scope="module")
def aws(dynamodb_local):
    """DynamoDB Local with a payments table of 10,000 payments (500 refunded in part) and an exports
    table; moto's S3 and SQS on a server of their own."""
    dynamodb = dynamodb_client(dynamodb_local.endpoint)
    suffix = uuid.uuid4().hex[:8]
    tables = {"PaymentsTable": f"payments-{suffix}", "ExportsTable": f"exports-{suffix}"}
    template.create_tables(dynamodb, tables, streams=False)  # bulk loads: see create_tables
    payments = PaymentStore(tables["PaymentsTable"], dynamodb)
    everything = [payment(n) for n in range(PAYMENTS)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(payments.put_many, [everything[n : n + 250] for n in range(0, PAYMENTS, 250)]))
    del everything
    server = MotoServer("127.0.0.1", free_port())
    server.start()
    endpoint = f"http://127.0.0.1:{server._port}"
    keys = {"region_name": "us-east-1", "aws_access_key_id": "local", "aws_secret_access_key": "local"}
    s3, sqs = (boto3.client(name, endpoint_url=endpoint, **keys) for name in ("s3", "sqs"))
    s3.create_bucket(Bucket="exports")
    queue = sqs.create_queue(QueueName="exports")["QueueUrl"]
    clock = factories.FixedClock()
    yield Exports(tables["ExportsTable"], dynamodb, s3, "exports", sqs, queue, payments.account_pages, clock)
    server.stop()


def test_ten_thousand_payments_and_five_hundred_refunds_export_in_bounded_memory(aws):
    period = CreateExportRequest(type="balance", created_gte=START, created_lt=START + timedelta(days=1))
    export = aws.create(ACCOUNT, period, livemode=False)

    tracemalloc.start()
    try:
        written = aws.run(export.id)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT, f"the worker peaked at {peak / 2**20:.1f} MB"

    assert written is not None and written.status is ExportStatus.SUCCEEDED
    assert written.rows == PAYMENTS + REFUNDS
    body = aws.s3.get_object(Bucket="exports", Key=written.object_key)["Body"].read().decode()
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    assert len(rows) == PAYMENTS + REFUNDS
    assert sum(row["type"] == "refund" for row in rows) == REFUNDS
    assert sum(Decimal(row["gross"]) for row in rows) == sum(
        Decimal(10 + n % 90) + Decimal("0.25") for n in range(PAYMENTS)
    ) - REFUNDS * Decimal("1.50")
    both = [row for row in rows if row["fee"] and row["net"]]
    for row in both:
        assert Decimal(row["gross"]) - Decimal(row["fee"]) == Decimal(row["net"]), row
    assert len(both) == PAYMENTS * HAS_FEES + REFUNDS * REFUND_FEES
