"""A sixth provider needs one spec entry and one adapter class, and nothing else: requests may name it,
routing picks it, it creates, its callbacks apply, and the sweeper checks it on its own polling plan.

The provider here lives in this test: its "API" is a dict, its callbacks carry a shared secret."""

from __future__ import annotations

import hmac
import json
from datetime import timedelta

import pytest

from paygate.config import Settings
from paygate.errors import AuthenticationFailed
from paygate.lifecycle.sweeper import Sweeper
from paygate.models import CreatePaymentRequest, Payment, ProviderFacts, Status
from paygate.providers import SPECS, PollingPlan, ProviderSpec
from paygate.providers.base import Callback, CallbackRequest, CreateContext, CreatedPayment, Provider, ProviderState
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
        return ProviderState(ECHO_STATUS.get(native), native)

    def verify_callback(self, request: CallbackRequest) -> Callback:
        if not hmac.compare_digest(request.headers.get("x-echo-secret", ""), self.credentials["secret"]):
            raise AuthenticationFailed("wrong secret")
        event = json.loads(request.body)
        return Callback(provider_payment_id=event["id"], state=ProviderState(ECHO_STATUS[event["status"]], "paid"))


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
    return factories.gateway(dynamodb, clock, enabled=["echo", "sandbox"], credentials=credentials)


def create(gateway, **fields):
    request = CreatePaymentRequest.model_validate({"amount": "5.00", "currency": "EUR", **fields})
    return gateway.create_payment(request, account_id=factories.ACCOUNT, callback_base_url="https://gw.example")


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
        gateway.handle_callback("echo", forged)
    real = CallbackRequest(headers={"x-echo-secret": "s3"}, body=body, source_ip="192.0.2.1")
    assert gateway.handle_callback("echo", real).record.status is Status.SUCCEEDED


def test_the_sweeper_checks_it_on_its_own_plan(gateway, clock):
    payment = create(gateway)
    ECHO_PAYMENTS[payment.provider_payment_id] = "paid"  # paid, and the callback was lost
    clock.advance(minutes=2)
    assert Sweeper(gateway).sweep(time_left=lambda: 60.0)["checked"] == 0  # not due before 3 minutes
    clock.advance(minutes=1)
    assert Sweeper(gateway).sweep(time_left=lambda: 60.0)["checked"] == 1
    assert gateway.store.get(payment.id).status is Status.SUCCEEDED
