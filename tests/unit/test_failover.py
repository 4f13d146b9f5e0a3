"""Failover at create (moto): a routed payment goes on to the next eligible provider when the failure is the
provider's, every attempt written before its call and recorded on the payment; a provider failing again and
again is skipped by its circuit breaker, and tried again after the pause."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest
import requests

from paygate import deadline
from paygate.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from paygate.models import Status
from paygate.providers.request import CreatePaymentRequest
from tests import factories
from tests.factories import ProviderApis

SANDBOX = "sandbox.test"
PAYGENTIC = "api.paygentic.io"
SANDBOX_CREATED = (201, {"id": "sbx_1", "status": "pending", "amount": "10.50", "currency": "USD",
                         "checkout_url": "https://sandbox.test/checkout/sbx_1"})  # fmt: skip
PAYGENTIC_CREATED = (201, {"id": "pay_pg1", "status": "pending", "amount": "10.50", "currency": "USD",
                           "paymentUrl": "https://pay.paygentic.io/p/pay_pg1"})  # fmt: skip
ROUTED = CreatePaymentRequest(amount="10.50", currency="USD")  # names no provider


def gateway(dynamodb, clock, session: ProviderApis, **settings):
    config = factories.settings(enabled_providers=["sandbox", "paygentic"], **settings)
    built = factories.lifecycle(dynamodb, clock, session=session, config=config)
    session.store = built.payments
    return built


def sandbox_fails(failure: object) -> Callable[[str], object]:
    return lambda host: failure if host == SANDBOX else PAYGENTIC_CREATED


def create(gw, request: CreatePaymentRequest = ROUTED):
    return gw.create(request, account_id=factories.ACCOUNT, callback_base_url="https://gw.example")


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (requests.Timeout("no answer"), "provider_timeout"),
        (requests.ConnectionError("refused"), "provider_unavailable"),
        ((503, {"message": "down"}), "provider_unavailable"),
        ((201, b"<html>oops</html>"), "provider_invalid_response"),
    ],
)
def test_a_routed_create_goes_on_to_the_next_provider_when_the_first_fails_on_its_side(dynamodb, clock, failure, code):
    session = ProviderApis(sandbox_fails(failure))
    gw = gateway(dynamodb, clock, session)
    payment = create(gw)
    # The next eligible provider took it, and the payment says who was tried and how it went
    assert (payment.status, payment.provider, payment.provider_payment_id) == (Status.PENDING, "paygentic", "pay_pg1")
    assert payment.payment_url == "https://pay.paygentic.io/p/pay_pg1"  # never the failed provider's
    assert [(a.provider, a.outcome, a.error_code) for a in payment.attempts] == [
        ("sandbox", "failed", code),
        ("paygentic", "succeeded", None),
    ]
    assert gw.payments.get(payment.id) == payment
    # Write-ahead for each attempt: when a provider was called, the record already named it, pending
    assert session.seen_at_call == [
        ("sandbox.test", "sandbox", "pending"),
        ("api.paygentic.io", "paygentic", "pending"),
    ]


def test_a_refusal_is_not_failed_over_the_payment_fails_with_it(dynamodb, clock):
    session = ProviderApis(sandbox_fails((400, {"message": "amount not allowed"})))
    gw = gateway(dynamodb, clock, session)
    with pytest.raises(ProviderRejected):
        create(gw)
    [stored] = [gw.payments.get(payment_id) for payment_id in stored_ids(dynamodb)]
    assert stored.status is Status.FAILED and stored.provider == "sandbox"
    assert [(a.provider, a.outcome, a.error_code) for a in stored.attempts] == [
        ("sandbox", "failed", "provider_rejected")
    ]
    assert session.called == [SANDBOX]


def test_a_payment_naming_its_provider_is_never_failed_over(dynamodb, clock):
    session = ProviderApis(sandbox_fails(requests.Timeout("no answer")))
    gw = gateway(dynamodb, clock, session)
    with pytest.raises(ProviderTimeout):
        create(gw, ROUTED.model_copy(update={"provider": "sandbox"}))
    assert session.called == [SANDBOX]


def test_when_every_provider_fails_the_payment_fails_with_the_last_failure(dynamodb, clock):
    session = ProviderApis(lambda host: requests.Timeout("no answer") if host == SANDBOX else (500, {"error": "x"}))
    gw = gateway(dynamodb, clock, session)
    with pytest.raises(ProviderUnavailable):
        create(gw)
    [stored] = [gw.payments.get(payment_id) for payment_id in stored_ids(dynamodb)]
    assert stored.status is Status.FAILED
    assert stored.failure_reason == "provider_unavailable: paygentic answered HTTP 500"
    assert [(a.provider, a.outcome) for a in stored.attempts] == [("sandbox", "failed"), ("paygentic", "failed")]
    assert session.called == [SANDBOX, PAYGENTIC, PAYGENTIC]  # Paygentic retries its create once


def test_no_failover_without_the_time_to_give_the_next_provider_a_fair_try(dynamodb, clock, monkeypatch):
    session = ProviderApis(sandbox_fails(requests.Timeout("no answer")))
    gw = gateway(dynamodb, clock, session)
    monkeypatch.setattr(deadline, "remaining", lambda: 1.5)
    with pytest.raises(ProviderTimeout):
        create(gw)
    assert session.called == [SANDBOX]


def test_a_provider_failing_again_and_again_is_skipped_then_tried_again_after_the_pause(dynamodb, clock, monkeypatch):
    counted: Counter[tuple[str, str]] = Counter()
    for module in ("paygate.providers.circuits", "paygate.lifecycle.attempts"):
        monkeypatch.setattr(f"{module}.count_for_provider", lambda name, provider: counted.update([(name, provider)]))
    sandbox_down = True
    session = ProviderApis(lambda host: (503, {}) if host == SANDBOX and sandbox_down else dict(
        [(SANDBOX, SANDBOX_CREATED), (PAYGENTIC, PAYGENTIC_CREATED)])[host])  # fmt: skip
    gw = gateway(dynamodb, clock, session, circuit_failure_threshold=2, circuit_recovery_seconds=1)
    # Two failures in a row open the sandbox's circuit (each payment still made, at Paygentic)
    assert [create(gw).provider for _ in range(2)] == ["paygentic", "paygentic"]
    assert counted[("ProviderCircuitOpened", "sandbox")] == 1
    # While it is open, the sandbox is not called at all: skipped, and said so on the payment
    session.called.clear()
    skipped = create(gw)
    assert session.called == [PAYGENTIC]
    assert [(a.provider, a.outcome, a.error_code) for a in skipped.attempts] == [
        ("sandbox", "skipped", "circuit_open"),
        ("paygentic", "succeeded", None),
    ]
    assert counted[("ProviderSkipped", "sandbox")] == 1
    # After the pause it is tried again; back up, it takes payments, and the circuit is closed
    sandbox_down = False
    time.sleep(1.1)
    assert [create(gw).provider for _ in range(2)] == ["sandbox", "sandbox"]


def stored_ids(dynamodb) -> list[str]:
    items = dynamodb.scan(TableName=factories.TABLES["PaymentsTable"], ProjectionExpression="id")["Items"]
    return [item["id"]["S"] for item in items]
