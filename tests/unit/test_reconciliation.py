"""Reconciliation on moto: a provider's payments of a window held against its status answers; what the
status machine takes is repaired through a sync, the rest recorded as differences and counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from pydantic import ValidationError

from local import template
from local.emulator import lambda_context
from local.template import ROOT
from paygate import service
from paygate.lifecycle.reconcile import Reconcile
from paygate.models import Status
from paygate.observability import metrics
from paygate.reconciliation import ReconciliationRequest
from paygate.store.differences import DifferenceStore
from paygate.store.payments import PaymentStore
from tests import factories
from tests.factories import ACCOUNT, CREDENTIALS, DEFAULT_NOW, SECRET_NAME, TABLES, record

WINDOW = (DEFAULT_NOW - timedelta(days=1), DEFAULT_NOW)


class SandboxAnswers(requests.Session):
    """The sandbox's status answers by its payment id: `{id: (status, amount, amount_paid)}`."""

    def __init__(self, answers: dict[str, tuple[str, str, str | None]]):
        super().__init__()
        self.answers = answers
        self.asked: list[str] = []

    def request(self, method, url, **kwargs):  # type: ignore[override]
        provider_payment_id = url.rsplit("/", 1)[-1]
        self.asked.append(provider_payment_id)
        status, amount, paid = self.answers[provider_payment_id]
        body: dict[str, Any] = {"id": provider_payment_id, "status": status, "amount": amount, "currency": "USD"}
        if paid is not None:
            body |= {"amount_paid": paid, "fee": "0.03", "net": str(float(paid) - 0.03)}
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(body).encode()
        return response


def reconciler(dynamodb, clock, answers) -> tuple[Reconcile, factories.Lifecycle, SandboxAnswers]:
    session = SandboxAnswers(answers)
    gateway = factories.lifecycle(dynamodb, clock, enabled=["sandbox"], session=session)
    differences = DifferenceStore(TABLES["DifferencesTable"], dynamodb)
    return Reconcile(gateway.payments, gateway.providers, gateway.reports, differences, clock), gateway, session


def stored(gateway, at, provider_payment_id: str, **fields):
    payment = record(at=at, provider_payment_id=provider_payment_id, **fields)
    gateway.payments.insert(payment)
    return payment


def test_a_lost_callback_is_repaired_through_a_sync_and_a_wrong_amount_becomes_a_difference(dynamodb, clock):
    reconcile, gateway, session = reconciler(
        dynamodb,
        clock,
        {"sbx_paid": ("succeeded", "1.00", "1.00"), "sbx_wrong": ("succeeded", "99.00", "99.00")},
    )
    paid = stored(gateway, DEFAULT_NOW - timedelta(hours=2), "sbx_paid")
    wrong = stored(gateway, DEFAULT_NOW - timedelta(hours=3), "sbx_wrong")
    # Outside the window, or final already: never asked about
    stored(gateway, DEFAULT_NOW - timedelta(days=2), "sbx_old")
    stored(gateway, DEFAULT_NOW - timedelta(hours=1), "sbx_done", status=Status.FAILED)

    result = reconcile("sandbox", *WINDOW, time_left=lambda: 60.0)

    assert sorted(session.asked) == ["sbx_paid", "sbx_wrong"]
    assert (result.checked, result.repaired, result.differences, result.complete) == (2, 1, 1, True)
    repaired = gateway.payments.get(paid.id)
    assert repaired is not None and repaired.status is Status.SUCCEEDED
    assert (repaired.history[-1].source, repaired.history[-1].provider_status) == ("sync", "succeeded")
    assert (repaired.fee, repaired.settlement_currency) == ("0.03", "USD")
    kept = gateway.payments.get(wrong.id)
    assert kept is not None and kept.status is Status.PENDING  # a success for another price moves nothing
    [difference] = reconcile.differences.list_page(ACCOUNT, limit=10).data
    assert (difference.kind, difference.payment_id, difference.provider_status) == (
        "amount_mismatch",
        wrong.id,
        "succeeded",
    )
    assert "99.00 USD" in difference.detail


def test_found_again_the_same_difference_is_one_record_first_found_then_seen_again(dynamodb, clock):
    reconcile, gateway, _ = reconciler(dynamodb, clock, {"sbx_eur": ("succeeded", "1.00", None)})
    stored(gateway, DEFAULT_NOW - timedelta(hours=1), "sbx_eur", currency="EUR")
    reconcile("sandbox", *WINDOW, time_left=lambda: 60.0)
    clock.advance(days=1)
    reconcile("sandbox", *WINDOW, time_left=lambda: 60.0)
    [difference] = reconcile.differences.list_page(ACCOUNT, limit=10).data
    assert difference.kind == "currency_mismatch"
    assert difference.found_at == DEFAULT_NOW and difference.seen_at == DEFAULT_NOW + timedelta(days=1)


def test_differences_are_listed_by_account_a_page_at_a_time(dynamodb, clock):
    answers = {f"sbx_{n}": ("succeeded", "5.00", "5.00") for n in range(3)}
    reconcile, gateway, _ = reconciler(dynamodb, clock, answers)
    for n in range(3):
        stored(gateway, DEFAULT_NOW - timedelta(minutes=n + 1), f"sbx_{n}")
    stored(gateway, DEFAULT_NOW - timedelta(minutes=9), "sbx_other", account_id="acct_other")
    answers["sbx_other"] = ("succeeded", "5.00", "5.00")
    assert reconcile("sandbox", *WINDOW, time_left=lambda: 60.0).differences == 4
    first = reconcile.differences.list_page(ACCOUNT, limit=2)
    assert len(first.data) == 2 and first.has_more
    second = reconcile.differences.list_page(ACCOUNT, limit=2, starting_after=first.next_starting_after)
    assert len(second.data) == 1 and not second.has_more
    assert {d.payment_id for d in first.data + second.data}.isdisjoint({"acct_other"})
    assert len(reconcile.differences.list_page("acct_other", limit=10).data) == 1


def test_a_merchants_run_reads_only_its_own_payments(dynamodb, clock):
    reconcile, gateway, session = reconciler(
        dynamodb, clock, {"sbx_mine": ("succeeded", "1.00", "1.00"), "sbx_theirs": ("succeeded", "1.00", "1.00")}
    )
    stored(gateway, DEFAULT_NOW - timedelta(hours=1), "sbx_mine")
    stored(gateway, DEFAULT_NOW - timedelta(hours=1), "sbx_theirs", account_id="acct_other")
    result = reconcile("sandbox", *WINDOW, time_left=lambda: 60.0, account_id=ACCOUNT)
    assert session.asked == ["sbx_mine"] and result.repaired == 1


def test_a_run_short_of_time_stops_and_says_it_is_not_complete(dynamodb, clock):
    reconcile, gateway, session = reconciler(dynamodb, clock, {"sbx_1": ("pending", "1.00", None)})
    stored(gateway, DEFAULT_NOW - timedelta(hours=1), "sbx_1")
    result = reconcile("sandbox", *WINDOW, time_left=lambda: 1.0)
    assert (result.complete, result.checked, session.asked) == (False, 0, [])


@pytest.fixture
def metrics_on(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")


def test_each_difference_is_counted_by_provider_in_the_metric(dynamodb, clock, metrics_on, capsys):
    reconcile, gateway, _ = reconciler(dynamodb, clock, {"sbx_wrong": ("succeeded", "99.00", "99.00")})
    stored(gateway, DEFAULT_NOW - timedelta(hours=1), "sbx_wrong")
    reconcile("sandbox", *WINDOW, time_left=lambda: 60.0)
    metrics.flush_metrics()
    documents = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{") and '"_aws"' in line
    ]
    counted = [doc for doc in documents if "ReconciliationDifferences" in doc]
    by_provider = [doc for doc in counted if doc.get("provider") == "sandbox"]
    assert [doc["ReconciliationDifferences"] for doc in by_provider] == [[1.0]]
    assert any("provider" not in doc for doc in counted)  # and the total the alarm watches


def test_the_daily_run_reconciles_the_utc_day_before_its_scheduled_time(dynamodb, monkeypatch):
    boto3.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=json.dumps(CREDENTIALS))
    monkeypatch.setenv("ENABLED_PROVIDERS", "sandbox")
    monkeypatch.setenv("PROVIDER_BASE_URLS", "sandbox=http://127.0.0.1:9")  # nothing listens: unreachable
    service.reset()
    payments = PaymentStore(TABLES["PaymentsTable"], dynamodb)
    payments.insert(record(at=datetime(2023, 11, 14, 23, 59, tzinfo=UTC), provider_payment_id="sbx_day"))
    payments.insert(record(at=datetime(2023, 11, 15, 0, 1, tzinfo=UTC), provider_payment_id="sbx_today"))
    event = json.loads((ROOT / "events" / "reconcile.json").read_text())  # scheduled 2023-11-15T03:00Z

    answer = template.handler("ReconcileFunction")(event, lambda_context("ReconcileFunction", 60))

    assert (answer["provider"], answer["created_gte"], answer["created_lt"]) == (
        "sandbox",
        "2023-11-14T00:00:00Z",
        "2023-11-15T00:00:00Z",
    )
    # Only the day's payment was asked about (and its provider could not be reached: asked again next run)
    assert (answer["checked"], answer["unreachable"], answer["complete"]) == (0, 1, True)
    service.reset()


@pytest.mark.parametrize(
    ("gte", "lt"),
    [
        ("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"),  # backwards
        ("2026-01-01T00:00:00Z", "2026-02-02T00:00:00Z"),  # more than 31 days
        ("2026-01-01T00:00:00", "2026-01-02T00:00:00"),  # no offset
        ("9999-12-31T00:00:00Z", "9999-12-31T23:00:00-05:00"),  # beyond the year 9999 in UTC
    ],
)
def test_a_window_that_is_not_one_is_refused(gte, lt):
    with pytest.raises(ValidationError):
        ReconciliationRequest.model_validate({"provider": "sandbox", "created_gte": gte, "created_lt": lt})


def test_a_window_is_read_in_utc():
    request = ReconciliationRequest.model_validate(
        {"provider": "sandbox", "created_gte": "2026-01-01T02:00:00+02:00", "created_lt": "2026-01-02T00:00:00Z"}
    )
    assert request.created_gte == datetime(2026, 1, 1, tzinfo=UTC) and request.created_gte.tzinfo is UTC


def test_a_window_across_days_reads_every_day_partition_page_after_page(dynamodb, clock):
    # 130 open payments on one day (more than a page of the index) and one on each of the next two days
    answers = {f"sbx_{n}": ("pending", "1.00", None) for n in range(132)}
    reconcile, gateway, session = reconciler(dynamodb, clock, answers)
    start = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    times = [start + timedelta(seconds=n) for n in range(130)] + [start + timedelta(days=1), start + timedelta(days=2)]
    gateway.payments.put_many([record(at=at, provider_payment_id=f"sbx_{n}") for n, at in enumerate(times)])
    result = reconcile("sandbox", start, start + timedelta(days=2, seconds=1), time_left=lambda: 60.0)
    assert result.checked == 132 and len(set(session.asked)) == 132
    # A window that ends before the last payment leaves it out
    session.asked.clear()
    assert reconcile("sandbox", start, start + timedelta(days=2), time_left=lambda: 60.0).checked == 131
