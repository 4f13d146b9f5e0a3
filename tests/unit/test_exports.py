"""POST /exports and GET /exports/{export_id} through their function, and the export worker through its
own, on moto: an export is accepted pending and queued, the worker writes its file, the read gives its
row count and a pre-signed URL that opens it; another account's export is not found; the period is
checked; the rows of each type and format; an export that keeps failing is recorded as failed."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import boto3
import pytest
import requests

from local import template
from local.emulator import lambda_context
from local.template import ROOT
from paygate import service
from paygate.accounts.models import Merchant
from paygate.models import Status
from paygate.refunds import Refund, RefundStatus
from tests import factories

BUCKET = "paygate-test-exports"
# The account and mode the sample events' authorizer answers for.
SAMPLE = json.loads((ROOT / "events" / "get_payment.json").read_text())
ACCOUNT = Merchant(SAMPLE["requestContext"]["authorizer"]["account_id"], livemode=False).scope
START = factories.DEFAULT_NOW


@pytest.fixture
def exports(dynamodb, monkeypatch):
    """The exports function and its worker on moto, the worker fed from the queue by `work()`."""
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="exports")["QueueUrl"]
    monkeypatch.setenv("EXPORTS_BUCKET", BUCKET)
    monkeypatch.setenv("EXPORTS_QUEUE_URL", queue_url)
    service.reset()

    def work(tries: int = 1) -> dict:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        records = [
            {"messageId": m["MessageId"], "body": m["Body"], "attributes": {"ApproximateReceiveCount": str(tries)}}
            for m in messages
        ]
        worker = "ExportWorkerFunction"
        return template.handler(worker)({"Records": records}, lambda_context(worker, 900))

    yield work
    service.reset()


def call(method: str, path: str, body: dict | None = None, account: str | None = None) -> tuple[int, dict]:
    event = copy.deepcopy(SAMPLE)
    event.update(httpMethod=method, path=path, body=json.dumps(body) if body is not None else None)
    event["resource"] = "/exports" if path == "/exports" else "/exports/{export_id}"
    event["pathParameters"] = {"export_id": path.rsplit("/", 1)[1]} if path != "/exports" else None
    for name in ("Content-Type",):
        event["headers"][name] = "application/json"
        event["multiValueHeaders"][name] = ["application/json"]
    if account:
        event["requestContext"]["authorizer"].update(account_id=account, principalId=account)
    answer = template.handler("ExportsFunction")(event, lambda_context("ExportsFunction"))
    return answer["statusCode"], json.loads(answer["body"])


def ask(kind: str = "balance", fmt: str = "csv", days: int = 30, **extra) -> tuple[int, dict]:
    period = {"created_gte": START.isoformat(), "created_lt": (START + timedelta(days=days)).isoformat()}
    return call("POST", "/exports", {"type": kind, "format": fmt, **period, **extra})


def paid(at_minutes: int, amount: str = "10.00", refunds: tuple[str, ...] = (), **fields):
    at = START + timedelta(minutes=at_minutes)
    payment = factories.record(
        account_id=ACCOUNT, at=at, status=Status.SUCCEEDED, amount=amount, amount_received=amount,
        provider_payment_id=f"sbx_{at_minutes}", **fields,
    )  # fmt: skip
    given = [
        Refund(id=f"re_{at_minutes}_{n}", payment_id=payment.id, status=RefundStatus.SUCCEEDED, amount=value,
               currency="USD", livemode=False, provider="sandbox", provider_refund_id=f"sbr_{n}",
               created_at=at + timedelta(minutes=1), updated_at=at + timedelta(minutes=1))
        for n, value in enumerate(refunds)
    ]  # fmt: skip
    return payment.model_copy(update={"refunds": given})


def stored(*payments) -> None:
    service.payments().put_many(list(payments))


def fetched(export: dict) -> str:
    answer = requests.get(export["url"], timeout=5)
    assert answer.status_code == 200
    return answer.text


def test_an_export_is_accepted_pending_written_by_the_worker_and_opened_by_its_url(exports):
    stored(paid(1, refunds=("4.00",)), paid(2), factories.record(account_id=ACCOUNT, at=START))
    status, export = ask()
    assert status == 202
    assert export["id"].startswith("ex_") and export["status"] == "pending" and export["url"] is None
    assert call("GET", f"/exports/{export['id']}") == (200, export)

    assert exports() == {"batchItemFailures": []}
    status, done = call("GET", f"/exports/{export['id']}")
    assert status == 200 and done["status"] == "succeeded" and done["rows"] == 3
    assert done["url"].startswith("https://") and "X-Amz-Expires=3600" in done["url"]
    rows = list(csv.DictReader(io.StringIO(fetched(done))))
    expected = [("payment", "10.00"), ("refund", "-4.00"), ("payment", "10.00")]
    assert [(row["type"], row["gross"]) for row in rows] == expected


def test_another_accounts_export_is_not_found(exports):
    _, export = ask()
    status, body = call("GET", f"/exports/{export['id']}", account="acct_someone_else")
    assert status == 404 and body["error"]["code"] == "export_not_found"
    status, body = call("GET", "/exports/ex_000000000000000000000000")
    assert status == 404 and body["error"]["code"] == "export_not_found"


@pytest.mark.parametrize(
    ("fields", "param"),
    [({"days": 367}, "created_lt"), ({"days": 0}, "created_lt"), ({"kind": "ledger"}, "type"),
     ({"fmt": "xlsx"}, "format"), ({"days": 1, "bcc": "x"}, "bcc")],
)  # fmt: skip
def test_a_period_longer_than_366_days_or_empty_and_unknown_types_are_422(exports, fields, param):
    status, body = ask(**fields)
    assert status == 422 and body["error"]["param"] == param, body


def test_a_time_that_utc_cannot_write_is_a_422(exports):
    status, body = call("POST", "/exports", {"type": "payments", "created_gte": "0001-01-01T00:00:00+00:01",
                                             "created_lt": "2026-01-01T00:00:00Z"})  # fmt: skip
    assert status == 422 and "out of the range of times" in body["error"]["message"], body
    assert body["error"]["param"] == "created_gte"


def test_a_year_with_its_leap_day_is_one_export(exports):
    assert ask(days=366)[0] == 202


def test_the_payments_export_has_one_row_per_payment_of_the_period_oldest_first(exports):
    before, after = START - timedelta(seconds=1), START + timedelta(days=30)
    outside = [factories.record(account_id=ACCOUNT, at=at) for at in (before, after)]
    crypto = {"pay_amount": "0.00021", "pay_currency": "BTC"}
    inside = [paid(5, refunds=("1.00", "2.00"), **crypto), factories.record(account_id=ACCOUNT, at=START)]
    stored(*outside, *inside, factories.record(account_id="acct_other", at=START + timedelta(minutes=3)))
    _, export = ask(kind="payments")
    exports()
    rows = list(csv.DictReader(io.StringIO(fetched(call("GET", f"/exports/{export['id']}")[1]))))
    assert [row["id"] for row in rows] == [inside[1].id, inside[0].id]
    unpaid, refunded = rows
    assert (unpaid["status"], unpaid["gross"], unpaid["fee"], unpaid["net"]) == ("pending", "", "", "")
    assert refunded["created_at"] == "2026-01-01T12:05:00Z" and refunded["provider_payment_id"] == "sbx_5"
    assert refunded["livemode"] == "false"
    assert (refunded["pay_amount"], refunded["pay_currency"], refunded["amount_refunded"]) == ("0.00021", "BTC", "0")


def test_the_jsonl_balance_export_says_null_where_nothing_is_known(exports):
    stored(paid(1, refunds=("2.50",)))
    _, export = ask(fmt="jsonl")
    exports()
    lines = [json.loads(line) for line in fetched(call("GET", f"/exports/{export['id']}")[1]).splitlines()]
    assert [line["type"] for line in lines] == ["payment", "refund"]
    refund = lines[1]
    assert refund["gross"] == "-2.50" and refund["provider_refund_id"] == "sbr_0" and refund["reference"] is None
    assert Decimal(lines[0]["gross"]) + Decimal(refund["gross"]) == Decimal("7.50")


def test_an_export_that_fails_on_its_last_try_is_recorded_failed(exports, monkeypatch):
    _, export = ask()
    monkeypatch.setattr(service.exports().s3, "upload_fileobj", lambda *args, **kwargs: 1 / 0)
    answer = exports(tries=3)
    assert len(answer["batchItemFailures"]) == 1  # left on the queue: its dead-letter queue next
    status, failed = call("GET", f"/exports/{export['id']}")
    assert status == 200 and (failed["status"], failed["failure_reason"]) == ("failed", "internal_error")
    assert failed["url"] is None
