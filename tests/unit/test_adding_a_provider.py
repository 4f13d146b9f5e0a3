"""A sixth provider needs one spec entry and one adapter class, and nothing else: requests may name it,
routing picks it, it creates, its callbacks apply, due checks check it on its own polling plan, and what
it can do is what its spec says.

The provider here lives in this test: its "API" is a dict, its callbacks carry a shared secret."""

from __future__ import annotations

import hmac
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from paygate.config import Settings
from paygate.errors import AuthenticationFailed, ProviderRejected
from paygate.models import Payment, ProviderFacts, Status
from paygate.providers.base import Callback, CallbackRequest, CreateContext, CreatedPayment, Provider, ProviderState
from paygate.providers.catalog import SPECS, Capability, PollingPlan, ProviderSpec
from paygate.providers.request import CreatePaymentRequest
from tests import factories

# The provider's side: its payments and their native statuses.
ECHO_PAYMENTS: dict[str, str] = {}
ECHO_STATUS = {"open": Status.PENDING, "paid": Status.SUCCEEDED}


class EchoProvider(Provider):
    name = "echo"
    default_lifetime = timedelta(hours=2)
    max_lifetime = timedelta(days=1)

    def create(self, payment: Payment, request: CreatePaymentRequest, context: CreateContext) -> CreatedPayment:
        provider_id = f"echo_{payment.id}"
        ECHO_PAYMENTS[provider_id] = "open"
        return CreatedPayment(
            provider_payment_id=provider_id,
            state=ProviderState(Status.PENDING, "open"),
            facts=ProviderFacts(payment_url=f"{self.base_url}/pay/{provider_id}"),
        )

    def fetch(self, payment: Payment) -> ProviderState:
        native = ECHO_PAYMENTS[payment.provider_payment_id or ""]
        return ProviderState(ECHO_STATUS.get(native), native, reports_money=False)  # its word stands

    def cancel(self, payment: Payment) -> None:
        if ECHO_PAYMENTS[payment.provider_payment_id or ""] == "refuse-cancel":
            raise ProviderRejected("echo: it cannot be cancelled now")
        ECHO_PAYMENTS[payment.provider_payment_id or ""] = "cancelled"

    def verify_callback(self, request: CallbackRequest) -> Callback:
        if not hmac.compare_digest(request.headers.get("x-echo-secret", ""), self.credentials["secret"]):
            raise AuthenticationFailed("wrong secret")
        event = json.loads(request.body)
        state = ProviderState(ECHO_STATUS[event["status"]], "paid", reports_money=False)
        return Callback(provider_payment_id=event["id"], state=state)


@pytest.fixture
def echo(monkeypatch):
    """The one spec entry."""
    spec = ProviderSpec(
        name="echo",
        title="Echo",
        adapter=EchoProvider,
        base_url="https://echo.example",
        credentials=("secret",),
        polling=PollingPlan(first=timedelta(minutes=3), every=timedelta(minutes=7)),
    )
    monkeypatch.setitem(SPECS, "echo", spec)
    ECHO_PAYMENTS.clear()


@pytest.fixture
def gateway(dynamodb, clock, echo):
    # The deployment enables it (the template's EnabledProviders) and holds its credentials.
    credentials = {**factories.CREDENTIALS, "echo": {"secret": "s3"}}
    return factories.lifecycle(dynamodb, clock, enabled=["echo", "sandbox"], credentials=credentials)


def create(gateway, **fields):
    request = CreatePaymentRequest.model_validate({"amount": "5.00", "currency": "EUR", **fields})
    return gateway.create(request, account_id=factories.ACCOUNT, callback_base_url="https://gw.example")


def test_it_is_routed_to_and_created_without_naming_it(gateway, clock):
    payment = create(gateway)
    assert payment.provider == "echo"  # first enabled provider that takes the request
    assert payment.payment_url == f"https://echo.example/pay/echo_{payment.id}"
    assert payment.due_at == clock() + timedelta(minutes=3)  # its spec's polling plan


def test_requests_may_name_it_and_settings_know_its_api(gateway):
    assert create(gateway, provider="echo").provider == "echo"
    settings = Settings.from_env(factories.environment())
    assert settings.base_urls["echo"] == "https://echo.example"


def test_its_callbacks_apply_and_forged_ones_do_not(gateway):
    payment = create(gateway)
    body = json.dumps({"id": payment.provider_payment_id, "status": "paid"}).encode()
    forged = CallbackRequest(headers={"x-echo-secret": "guess"}, body=body, source_ip="192.0.2.1")
    with pytest.raises(AuthenticationFailed):
        gateway.callback("echo", forged)
    real = CallbackRequest(headers={"x-echo-secret": "s3"}, body=body, source_ip="192.0.2.1")
    assert gateway.callback("echo", real).record.status is Status.SUCCEEDED


def test_the_sweeper_checks_it_on_its_own_plan(gateway, clock):
    payment = create(gateway)
    ECHO_PAYMENTS[payment.provider_payment_id] = "paid"  # paid, and the callback was lost
    clock.advance(minutes=2)
    assert gateway.sweep()["checked"] == 0  # not due before 3 minutes
    clock.advance(minutes=1)
    assert gateway.sweep()["checked"] == 1
    assert gateway.payments.get(payment.id).status is Status.SUCCEEDED


# --- what it can do: callers ask its spec's capabilities, never its name -------------------------------


@pytest.fixture
def capabilities(monkeypatch):
    """Set the echo spec's capabilities for one test."""

    def declare(*granted: Capability) -> None:
        monkeypatch.setitem(SPECS, "echo", replace(SPECS["echo"], capabilities=frozenset(granted)))

    return declare


def test_without_a_status_api_it_is_never_asked_yet_its_payments_expire(gateway, capabilities, clock):
    capabilities(Capability.CREATE)
    payment = create(gateway)
    ECHO_PAYMENTS.clear()  # its "API" has nothing to say: any status call would fail the test
    # force_sync answers the stored payment, unchanged
    assert gateway.read(payment.id, account_id=factories.ACCOUNT, sync=True) == payment
    # and due checks only expire it, on time
    clock.now = payment.expires_at + timedelta(seconds=1)
    gateway.sweep()
    assert gateway.payments.get(payment.id).status is Status.EXPIRED


def test_a_provider_that_can_cancel_is_asked_first_and_a_refusal_changes_nothing(gateway, capabilities):
    capabilities(Capability.CREATE, Capability.FETCH, Capability.CANCEL)
    payment = create(gateway)
    cancelled = gateway.cancel(payment.id, account_id=factories.ACCOUNT)
    assert ECHO_PAYMENTS[payment.provider_payment_id] == "cancelled"  # it was told
    assert cancelled.status is Status.CANCELLED
    other = create(gateway)
    ECHO_PAYMENTS[other.provider_payment_id] = "refuse-cancel"
    with pytest.raises(ProviderRejected):
        gateway.cancel(other.id, account_id=factories.ACCOUNT)
    assert gateway.payments.get(other.id) == other


def test_a_provider_that_cannot_cancel_is_not_asked(gateway, capabilities):
    capabilities(Capability.CREATE, Capability.FETCH)
    payment = create(gateway)
    assert gateway.cancel(payment.id, account_id=factories.ACCOUNT).status is Status.CANCELLED
    assert ECHO_PAYMENTS[payment.provider_payment_id] == "open"  # never told: it is watched for late money


def test_a_provider_that_cannot_create_is_not_routed_to(gateway, capabilities):
    capabilities(Capability.FETCH)
    request = CreatePaymentRequest(amount="5.00", currency="EUR")
    assert [provider.name for provider in gateway.providers.route(request, livemode=False)] == ["sandbox"]


def test_a_capability_that_needs_more_credentials_is_had_only_with_them(dynamodb, clock, echo, monkeypatch):
    needs = {Capability.REFUND: ("refund_token",)}
    monkeypatch.setitem(
        SPECS, "echo", replace(SPECS["echo"], capabilities=SPECS["echo"].capabilities | {Capability.REFUND},
                               capability_credentials=needs),
    )  # fmt: skip
    without = {**factories.CREDENTIALS, "echo": {"secret": "s3"}}
    with_it = {**factories.CREDENTIALS, "echo": {"secret": "s3", "refund_token": "t"}}
    assert not factories.registry(clock, enabled=["echo"], credentials=without).can("echo", Capability.REFUND)
    assert factories.registry(clock, enabled=["echo"], credentials=with_it).can("echo", Capability.REFUND)
    assert factories.registry(clock, enabled=["echo"], credentials=without).can("echo", Capability.CREATE)
