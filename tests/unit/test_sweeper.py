"""The sweeper on moto: one due check that raises anything at all never stops the others."""

from __future__ import annotations

import json
from datetime import timedelta

import requests

from paygate.models import Status
from tests import factories


class StatusApi(requests.Session):
    """The sandbox's status API: paid for every payment, except one whose answer blows up."""

    def __init__(self, exploding: str, error: Exception):
        super().__init__()
        self.exploding, self.error = exploding, error

    def request(self, method, url, **kwargs):  # type: ignore[override]
        provider_id = url.rsplit("/", 1)[-1]
        if provider_id == self.exploding:
            raise self.error
        response = requests.Response()
        response.status_code = 200
        paid = {"status": "succeeded", "amount": "1.00", "currency": "USD", "amount_paid": "1.00"}
        response._content = json.dumps(paid).encode()
        return response


def test_a_sweep_goes_on_past_a_check_that_raises_something_unexpected(dynamodb, clock):
    # Given three due payments, the status answer for the second raising an error nobody expects
    gateway = factories.lifecycle(dynamodb, clock, enabled=["sandbox"], session=StatusApi("sbx_2", RecursionError()))
    payments = [
        factories.record(at=clock(), provider_payment_id=f"sbx_{n}", due_at=clock() - timedelta(seconds=1))
        for n in (1, 2, 3)
    ]
    for payment in payments:
        gateway.payments.insert(payment)
    # When the sweep runs
    counts = gateway.sweep()
    # Then it checked the others, counted the failure, and left that one to the next sweep
    assert (counts["checked"], counts["failed_checks"]) == (2, 1)
    statuses = {p.provider_payment_id: gateway.payments.get(p.id).status for p in payments}
    assert statuses == {"sbx_1": Status.SUCCEEDED, "sbx_2": Status.PENDING, "sbx_3": Status.SUCCEEDED}
    assert gateway.payments.get(payments[1].id).due_at == payments[1].due_at  # still due


class Answers(requests.Session):
    """The sandbox's status API, answering what the test last set."""

    def __init__(self):
        super().__init__()
        self.status = "pending"

    def request(self, method, url, **kwargs):  # type: ignore[override]
        response = requests.Response()
        response.status_code = 200
        body = {"status": self.status, "amount": "1.00", "currency": "USD", "amount_paid": "1.00"}
        response._content = json.dumps(body).encode()
        return response


def test_a_cancelled_payment_is_watched_for_the_late_window_and_then_no_more(dynamodb, clock):
    api = Answers()
    gateway = factories.lifecycle(dynamodb, clock, enabled=["sandbox"], session=api)
    payment = factories.record(at=clock(), provider_payment_id="sbx_late", due_at=clock() + timedelta(minutes=1))
    gateway.payments.insert(payment)
    cancelled = gateway.cancel(payment.id, account_id=factories.ACCOUNT)
    assert cancelled.status is Status.CANCELLED and cancelled.due_at is not None
    # Still watched a day later, though nothing changed at the provider
    clock.advance(hours=23)
    gateway.sweep()
    assert gateway.payments.get(payment.id).due_at is not None
    # Past the window: no more checks
    clock.advance(hours=2)
    gateway.sweep()
    after = gateway.payments.get(payment.id)
    assert (after.status, after.due_at) == (Status.CANCELLED, None)


def test_money_found_by_the_watch_after_a_cancel_succeeds_it_late(dynamodb, clock):
    api = Answers()
    gateway = factories.lifecycle(dynamodb, clock, enabled=["sandbox"], session=api)
    payment = factories.record(at=clock(), provider_payment_id="sbx_paid", due_at=clock() + timedelta(minutes=1))
    gateway.payments.insert(payment)
    gateway.cancel(payment.id, account_id=factories.ACCOUNT)
    api.status = "succeeded"  # the customer paid anyway, and the callback was lost
    clock.advance(hours=2)
    gateway.sweep()
    after = gateway.payments.get(payment.id)
    assert (after.status, after.paid_late, after.due_at) == (Status.SUCCEEDED, True, None)


class NoCalls(requests.Session):
    def request(self, method, url, **kwargs):  # type: ignore[override]
        raise AssertionError(f"a parked payment's provider was called: {url}")


def test_a_payment_whose_provider_was_disabled_is_parked_and_still_expires_on_time(dynamodb, clock):
    # Given a pending NOWPayments payment, due now and expiring in 30 minutes, and NOWPayments since disabled
    gateway = factories.lifecycle(dynamodb, clock, enabled=["sandbox"], session=NoCalls())
    payment = factories.record(
        at=clock(),
        provider="nowpayments",
        provider_payment_id="5077125051",
        due_at=clock(),
        expires_at=clock() + timedelta(minutes=30),
    )
    gateway.payments.insert(payment)
    # When the sweep finds it: it is not a failed check, nobody is called, and it is next looked at later
    counts = gateway.sweep()
    parked = gateway.payments.get(payment.id)
    assert (counts["checked"], counts["failed_checks"]) == (1, 0)
    assert parked.status is Status.PENDING and parked.due_at > clock()
    # At its expiry it expires, as any unpaid payment does
    clock.advance(minutes=30)
    gateway.sweep()
    assert gateway.payments.get(payment.id).status is Status.EXPIRED
    # And once the late-payment window has passed, it is never looked at again
    clock.advance(hours=25)
    gateway.sweep()
    after = gateway.payments.get(payment.id)
    assert (after.status, after.due_at) == (Status.EXPIRED, None)
