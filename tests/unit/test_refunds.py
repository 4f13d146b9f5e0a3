"""Refunds on moto, against a sandbox API kept in this test (its refunds by reference) and a clock the test
moves: the money rules, the provider's answers and silences, manual refunds, accepting an underpaid
payment, tenancy, and the events each change tells."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import requests

from paygate.errors import (
    AmountExceedsRefundable,
    NotFound,
    PaymentNotAcceptable,
    PaymentNotRefundable,
    ProviderTimeout,
    RefundNotConfirmable,
    ValidationFailed,
)
from paygate.events import refund_changes
from paygate.models import PaymentRecord, Status
from paygate.refunds import ConfirmRefundRequest, CreateRefundRequest, RefundStatus
from tests import factories

OTHER_ACCOUNT = "acct_other"


class SandboxRefunds(requests.Session):
    """The sandbox's refund API: one refund per reference, answered `pending`; `fail_next` queues what the
    next create does instead (an exception to raise, or an HTTP status and message)."""

    def __init__(self) -> None:
        super().__init__()
        self.refunds: dict[str, dict] = {}  # by reference
        self.fail_next: list[object] = []
        self.calls: list[tuple[str, str]] = []

    def request(self, method, url, **kwargs):  # type: ignore[override]
        path = urlsplit(url).path
        self.calls.append((method, path))
        if method == "POST" and path.endswith("/v1/refunds"):
            if self.fail_next:
                failure = self.fail_next.pop(0)
                if isinstance(failure, Exception):
                    raise failure
                return answer(*failure)  # type: ignore[misc]
            body = kwargs["json"]
            refund = self.refunds.setdefault(
                body["reference"], {"id": f"sbxr_{len(self.refunds)}", "status": "pending", **body}
            )
            return answer(201, refund)
        if method == "GET" and path.endswith("/v1/refunds"):
            reference = kwargs["params"]["reference"]
            found = self.refunds.get(reference)
            return answer(200, found) if found else answer(404, {"message": "no refund with that reference"})
        raise AssertionError(f"unexpected call {method} {url}")


def answer(status: int, body: dict | str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body if isinstance(body, dict) else {"message": body}).encode()
    return response


@pytest.fixture
def sandbox() -> SandboxRefunds:
    return SandboxRefunds()


@pytest.fixture
def lifecycle(dynamodb, clock, sandbox) -> factories.Lifecycle:
    return factories.lifecycle(dynamodb, clock, enabled=["sandbox", "nowpayments"], session=sandbox)


def paid(lifecycle: factories.Lifecycle, amount: str = "100.00", **fields) -> PaymentRecord:
    """A payment its provider was paid (`amount_received`), as callbacks and checks leave it."""
    values = {
        "amount": amount,
        "provider_payment_id": "sbx_paid",
        "status": Status.SUCCEEDED,
        "amount_received": amount,
        "provider_data": {"api_base": "https://sandbox.test"},
        **fields,
    }
    record = factories.record(at=lifecycle.clock(), **values)
    lifecycle.payments.insert(record)
    return record


def refund(lifecycle: factories.Lifecycle, payment: PaymentRecord, amount: str | None = None, account=None):
    request = CreateRefundRequest(amount=amount)
    return lifecycle.refunds.create(payment.id, request, account_id=account or factories.ACCOUNT)


def settle(lifecycle: factories.Lifecycle, sandbox: SandboxRefunds, refund_id: str, status: str, payment) -> None:
    """The sandbox's signed callback of a refund's status."""
    provider_refund = next(r for r in sandbox.refunds.values() if r["reference"] == refund_id)
    delivery = factories.sandbox_refund_callback(
        refund_id,
        provider_refund["id"],
        status,
        payment_id=payment.id,
        provider_payment_id=payment.provider_payment_id,
        timestamp=int(lifecycle.clock().timestamp()),
    )
    lifecycle.callback("sandbox", delivery.request())


def test_a_payment_refunded_in_two_parts_then_holds_nothing_more(lifecycle, sandbox):
    payment = paid(lifecycle)
    first, second = refund(lifecycle, payment, "30.00"), refund(lifecycle, payment, "70.00")
    assert (first.status, second.status) == (RefundStatus.PENDING, RefundStatus.PENDING)
    assert [r["amount"] for r in sandbox.refunds.values()] == ["30.00", "70.00"]  # our id its reference
    with pytest.raises(AmountExceedsRefundable) as refused:
        refund(lifecycle, payment, "0.01")
    assert (refused.value.http_status, refused.value.code) == (422, "amount_exceeds_refundable")
    for made in (first, second):
        settle(lifecycle, sandbox, made.id, "succeeded", payment)
    shown = lifecycle.payments.get(payment.id).public()
    assert (shown.amount_refunded, shown.refunded) == ("100.00", True)
    assert lifecycle.refunds.get(first.id, account_id=factories.ACCOUNT).status is RefundStatus.SUCCEEDED


def test_no_amount_refunds_what_remains(lifecycle):
    payment = paid(lifecycle, "25.00")
    refund(lifecycle, payment, "10.00")
    assert refund(lifecycle, payment).amount == "15.00"
    with pytest.raises(AmountExceedsRefundable):
        refund(lifecycle, payment)


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Status.PENDING, "amount_received": None},
        {"status": Status.FAILED},
        {"status": Status.PROCESSING, "amount_received": None},
    ],
)
def test_a_payment_that_holds_no_money_cannot_be_refunded_and_nothing_is_written(lifecycle, fields):
    payment = paid(lifecycle, **fields)
    with pytest.raises(PaymentNotRefundable) as refused:
        refund(lifecycle, payment, "1.00")
    assert refused.value.code == "payment_not_refundable"
    assert lifecycle.payments.get(payment.id) == payment


def test_an_amount_with_more_decimals_than_the_currency_is_refused(lifecycle):
    with pytest.raises(ValidationFailed) as refused:
        refund(lifecycle, paid(lifecycle), "1.001")
    assert refused.value.code == "validation_error"


def test_a_refusal_fails_the_refund_and_its_money_is_refundable_again(lifecycle, sandbox):
    payment = paid(lifecycle, "10.00")
    sandbox.fail_next.append((422, "the amount is more than what is left to refund"))
    failed = refund(lifecycle, payment, "10.00")
    assert failed.status is RefundStatus.FAILED
    assert "the amount is more than what is left" in (failed.failure_reason or "")
    assert refund(lifecycle, payment, "10.00").status is RefundStatus.PENDING


def test_a_timeout_the_provider_has_no_record_of_is_a_failure(lifecycle, sandbox):
    payment = paid(lifecycle, "10.00")
    sandbox.fail_next.append(requests.Timeout("late"))
    failed = refund(lifecycle, payment)
    assert failed.status is RefundStatus.FAILED
    assert "has no such refund" in (failed.failure_reason or "")
    assert refund(lifecycle, payment).status is RefundStatus.PENDING  # refundable again


def raising(error: Exception):
    def call(*_: object) -> None:
        raise error

    return call


def test_a_timeout_nobody_can_settle_stays_pending_and_the_due_checks_settle_it(lifecycle, clock, monkeypatch):
    payment = paid(lifecycle, "10.00")
    provider = lifecycle.providers.get("sandbox")
    with monkeypatch.context() as patch:  # the refund call and the status call both time out
        patch.setattr(provider, "refund", raising(ProviderTimeout("late")))
        patch.setattr(provider, "fetch_refund", raising(ProviderTimeout("late")))
        pending = refund(lifecycle, payment)
    assert pending.status is RefundStatus.PENDING
    assert lifecycle.payments.get(payment.id).due_at is not None  # watched while a refund of it is pending
    # The provider never took it: the next check learns so, and its money is refundable again
    clock.advance(minutes=6)
    lifecycle.sweep()
    after = lifecycle.payments.get(payment.id)
    assert after.refund(pending.id).status is RefundStatus.FAILED
    assert after.due_at is None
    assert refund(lifecycle, payment).amount == "10.00"


def test_a_pending_refund_is_settled_by_the_due_checks_when_its_callback_is_lost(lifecycle, sandbox, clock):
    payment = paid(lifecycle, "10.00")
    made = refund(lifecycle, payment)
    sandbox.refunds[made.id]["status"] = "succeeded"  # the callback never came
    clock.advance(minutes=6)
    lifecycle.sweep()
    after = lifecycle.payments.get(payment.id)
    assert after.refund(made.id).status is RefundStatus.SUCCEEDED and after.public().refunded
    assert after.due_at is None and after.status is Status.SUCCEEDED


def test_without_a_refund_api_a_refund_is_manual_until_the_merchant_confirms_it(lifecycle, sandbox):
    payment = paid(lifecycle, "10.00", provider="nowpayments")
    manual = refund(lifecycle, payment, "4.00")
    assert (manual.status, manual.manual, sandbox.calls) == (RefundStatus.REQUIRES_ACTION, True, [])
    confirm = ConfirmRefundRequest(external_reference="0xabc")
    done = lifecycle.refunds.confirm(manual.id, confirm, account_id=factories.ACCOUNT)
    assert (done.status, done.external_reference) == (RefundStatus.SUCCEEDED, "0xabc")
    assert lifecycle.refunds.confirm(manual.id, confirm, account_id=factories.ACCOUNT) == done  # again: unchanged
    with pytest.raises(RefundNotConfirmable):
        lifecycle.refunds.cancel(manual.id, account_id=factories.ACCOUNT)
    assert lifecycle.payments.get(payment.id).public().amount_refunded == "4.00"


def test_a_cancelled_manual_refund_gives_its_amount_back(lifecycle):
    payment = paid(lifecycle, "10.00", provider="nowpayments")
    manual = refund(lifecycle, payment)
    assert lifecycle.refunds.cancel(manual.id, account_id=factories.ACCOUNT).status is RefundStatus.CANCELLED
    assert refund(lifecycle, payment).amount == "10.00"
    with pytest.raises(RefundNotConfirmable):
        lifecycle.refunds.confirm(manual.id, ConfirmRefundRequest(external_reference="x"), account_id=factories.ACCOUNT)


def test_a_refund_at_its_provider_cannot_be_confirmed_by_hand(lifecycle):
    made = refund(lifecycle, paid(lifecycle))
    with pytest.raises(RefundNotConfirmable) as refused:
        lifecycle.refunds.confirm(made.id, ConfirmRefundRequest(external_reference="x"), account_id=factories.ACCOUNT)
    assert (refused.value.http_status, refused.value.code) == (409, "refund_not_confirmable")


def test_another_accounts_refunds_are_not_found(lifecycle):
    payment = paid(lifecycle, "10.00", provider="nowpayments")
    made = refund(lifecycle, payment, "1.00")
    confirm = ConfirmRefundRequest(external_reference="x")
    refunds = lifecycle.refunds
    for attempt in (
        lambda: refund(lifecycle, payment, "1.00", account=OTHER_ACCOUNT),
        lambda: refunds.of_payment(payment.id, account_id=OTHER_ACCOUNT),
        lambda: refunds.get(made.id, account_id=OTHER_ACCOUNT),
        lambda: refunds.confirm(made.id, confirm, account_id=OTHER_ACCOUNT),
        lambda: refunds.cancel(made.id, account_id=OTHER_ACCOUNT),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert refunds.get(made.id, account_id=factories.ACCOUNT).status is RefundStatus.REQUIRES_ACTION
    with pytest.raises(NotFound) as unknown:
        refunds.get("re_" + "0" * 24, account_id=factories.ACCOUNT)
    assert unknown.value.code == "refund_not_found"


def test_a_refund_callback_of_another_provider_or_payment_changes_nothing(lifecycle, sandbox):
    payment, other = paid(lifecycle), paid(lifecycle)
    made = refund(lifecycle, payment, "5.00")
    provider_refund = sandbox.refunds[made.id]
    # Naming another payment than the refund's
    delivery = factories.sandbox_refund_callback(
        made.id,
        provider_refund["id"],
        "succeeded",
        payment_id=other.id,
        provider_payment_id=other.provider_payment_id,
        timestamp=int(lifecycle.clock().timestamp()),
    )
    assert lifecycle.callback("sandbox", delivery.request()).outcome == "misbound"
    assert lifecycle.payments.get(payment.id).refund(made.id).status is RefundStatus.PENDING


def test_an_underpaid_payment_accepted_succeeds_with_what_it_received(lifecycle):
    payment = paid(lifecycle, "10.00", status=Status.EXPIRED, amount_received="6.00")
    accepted = lifecycle.accept(payment.id, account_id=factories.ACCOUNT)
    assert (accepted.status, accepted.amount_received, accepted.paid_late) == (Status.SUCCEEDED, "6.00", False)
    assert "accepted by the merchant" in (accepted.history[-1].note or "")
    assert accepted.history[-1].source == "api"
    with pytest.raises(PaymentNotAcceptable):
        lifecycle.accept(payment.id, account_id=factories.ACCOUNT)  # succeeded already


@pytest.mark.parametrize(
    "fields",
    [{"amount_received": "10.00"}, {"amount_received": "12.00"}, {"status": Status.PENDING, "amount_received": None}],
)
def test_only_an_underpaid_payment_can_be_accepted(lifecycle, fields):
    payment = paid(lifecycle, "10.00", **{"status": Status.PARTIALLY_PAID, **fields})
    with pytest.raises(PaymentNotAcceptable) as refused:
        lifecycle.accept(payment.id, account_id=factories.ACCOUNT)
    assert refused.value.code == "payment_not_acceptable"


def test_an_overpaid_payment_refunds_exactly_its_excess(lifecycle):
    payment = paid(lifecycle, "10.00", amount_received="12.50")
    excess = refund(lifecycle, payment, "2.50")
    assert excess.amount == "2.50"
    left = lifecycle.payments.get(payment.id)
    assert left.public().refunded is False  # 10.00 of the 12.50 stay with the merchant


def test_each_refund_change_is_one_event_with_its_payment(lifecycle, sandbox):
    payment = paid(lifecycle, "10.00")
    before = lifecycle.payments.get(payment.id)
    made = refund(lifecycle, payment, "4.00")
    created = lifecycle.payments.get(payment.id)
    [event] = refund_changes(before, created)
    assert (event.type, event.payment_id, event.refund.id, event.previous_status) == (
        "refund.created",
        payment.id,
        made.id,
        None,
    )
    settle(lifecycle, sandbox, made.id, "succeeded", payment)
    [event] = refund_changes(created, lifecycle.payments.get(payment.id))
    assert (event.type, event.previous_status, event.sequence) == ("refund.succeeded", RefundStatus.PENDING, 4)


def test_a_manual_refund_tells_it_was_created_and_that_it_needs_the_merchant(lifecycle):
    payment = paid(lifecycle, "10.00", provider="nowpayments")
    before = lifecycle.payments.get(payment.id)
    refund(lifecycle, payment)
    types = [event.type for event in refund_changes(before, lifecycle.payments.get(payment.id))]
    assert types == ["refund.created", "refund.requires_action"]


def test_the_due_checks_ask_nothing_of_a_provider_that_cannot_refund(lifecycle, clock, sandbox):
    payment = paid(lifecycle, "10.00", provider="nowpayments")
    refund(lifecycle, payment)
    assert lifecycle.payments.get(payment.id).due_at is None  # manual: nothing to ask anyone


def test_the_refund_request_refuses_unknown_fields_and_numbers():
    with pytest.raises(ValueError):
        CreateRefundRequest.model_validate({"amount": 10})
    with pytest.raises(ValueError):
        CreateRefundRequest.model_validate({"amount": "1.00", "currency": "USD"})
