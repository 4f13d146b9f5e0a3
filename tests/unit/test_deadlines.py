"""Every provider call waits no longer than the invocation can: a provider that hangs makes create answer
our 504 before Lambda's deadline, and costs a sweep one check, never the sweep."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
import requests

from local import template
from local.emulator import lambda_context
from local.template import ROOT
from paygate import deadline, service
from paygate.errors import ProviderTimeout
from paygate.models import Status
from paygate.providers import http
from paygate.providers.sandbox.adapter import SandboxProvider
from tests import factories
from tests.dripping import dripping_server
from tests.factories import CREDENTIALS, SECRET_NAME


@pytest.fixture
def hanging_provider() -> Iterator[str]:
    """An address that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_create_with_a_hanging_provider_is_our_504_before_the_functions_deadline(
    dynamodb, monkeypatch, hanging_provider
):
    # Given the sandbox provider hangs, a 30 s provider timeout, and 3 s left in the invocation
    boto3.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=json.dumps(CREDENTIALS))
    monkeypatch.setenv("ENABLED_PROVIDERS", "sandbox")
    monkeypatch.setenv("PROVIDER_BASE_URLS", f"sandbox={hanging_provider}")
    monkeypatch.setenv("PROVIDER_TIMEOUT_SECONDS", "30")
    service.reset()
    event = json.loads((ROOT / "events" / "create_payment.json").read_text())
    started = time.monotonic()
    answer = template.handler("CreatePaymentFunction")(event, lambda_context("CreatePaymentFunction", 3))
    elapsed = time.monotonic() - started
    service.reset()
    # Then it answered our 504, in the error shape, before the 3 s were up, and the record is failed
    assert answer["statusCode"] == 504, answer
    assert json.loads(answer["body"])["error"]["code"] == "provider_timeout"
    assert elapsed < 3.0 - deadline.RESERVE_SECONDS / 2, elapsed
    [item] = dynamodb.scan(TableName=factories.TABLES["PaymentsTable"])["Items"]
    assert item["status"]["S"] == "failed"


class PartlyHanging(requests.Session):
    """The sandbox's status API: it hangs for one payment (as far as the timeout it is given allows),
    and answers `succeeded` for the others."""

    def __init__(self, hanging: str):
        super().__init__()
        self.hanging = hanging

    def request(self, method, url, **kwargs):  # type: ignore[override]
        if url.endswith(self.hanging):
            time.sleep(kwargs["timeout"])
            raise requests.Timeout("no answer")
        response = requests.Response()
        response.status_code = 200
        body = {"status": "succeeded", "amount": "1.00", "currency": "USD", "amount_paid": "1.00"}
        response._content = json.dumps(body).encode()
        return response


def due_payments(gateway, clock, count: int) -> list:
    payments = [
        factories.record(at=clock(), provider_payment_id=f"sbx_{n}", due_at=clock() - timedelta(seconds=1))
        for n in range(count)
    ]
    for payment in payments:
        gateway.payments.insert(payment)
    return payments


def test_a_sweep_with_a_hanging_provider_checks_the_others_and_ends_in_time(dynamodb, clock):
    # Given five due payments, one whose status call hangs; a 2 s provider timeout, 8 s to run
    settings = factories.settings(enabled_providers=["sandbox"], provider_timeout_seconds=2.0)
    gateway = factories.lifecycle(dynamodb, clock, session=PartlyHanging("sbx_2"), config=settings)
    payments = due_payments(gateway, clock, 5)
    context = lambda_context("FindDueChecksFunction", 8)
    started = time.monotonic()
    with deadline.invocation(context):
        counts = gateway.checker().sweep(time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    # Then every payment was checked, the others succeeded, and it took about the one timeout
    assert counts["checked"] == 5
    statuses = {p.provider_payment_id: gateway.payments.get(p.id).status for p in payments}
    assert statuses.pop("sbx_2") is Status.PENDING
    assert set(statuses.values()) == {Status.SUCCEEDED}
    assert time.monotonic() - started < 4


def test_a_sweep_whose_provider_hangs_longer_than_the_invocation_stops_cleanly_within_it(dynamodb, clock):
    # Given a provider timeout far beyond the 5 s the invocation has, and every status call hanging
    gateway = factories.lifecycle(dynamodb, clock, enabled=["sandbox"], session=PartlyHanging(""))
    payments = due_payments(gateway, clock, 3)
    context = lambda_context("FindDueChecksFunction", 5)
    started = time.monotonic()
    with deadline.invocation(context):
        counts = gateway.checker().sweep(time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    # Then it gave up waiting in time, stopped before the deadline, and said so
    assert time.monotonic() - started < 5
    assert counts.get("stopped_early") == 1
    assert all(gateway.payments.get(p.id).status is Status.PENDING for p in payments)


# --- one budget for the whole exchange --------------------------------------------------------------


@pytest.mark.parametrize("head_at_once", [False, True], ids=["dripping-from-the-status-line", "dripping-body"])
def test_an_exchange_that_drips_a_byte_a_second_is_cut_at_its_budget(head_at_once):
    # Given a provider that sends a byte a second (each read well within any socket timeout)
    with dripping_server(head_at_once=head_at_once) as provider:
        started = time.monotonic()
        # When one exchange is given 1.5 s
        with pytest.raises(requests.Timeout):
            http.exchange(http.session(), "GET", provider.url + "/status", budget=1.5)
        elapsed = time.monotonic() - started
    # Then it gave up at its budget, not when the answer ended (about 70 s later)
    assert 1.5 <= elapsed < 1.5 * 1.1, elapsed
    assert provider.requests and provider.requests[0].startswith(b"GET /status ")


def test_a_kept_alive_connection_is_cut_at_the_budget_of_the_exchange_that_uses_it_again():
    # Given a session whose first exchange left its connection open, and a second answer on it that drips
    session = http.session()
    with dripping_server(keep_alive=True) as provider:
        assert http.exchange(session, "GET", provider.url + "/first", budget=5).json()["status"] == "waiting"
        started = time.monotonic()
        with pytest.raises(requests.Timeout):
            http.exchange(session, "GET", provider.url + "/second", budget=1.0)
        elapsed = time.monotonic() - started
    # Then the second exchange, on the same connection, ended at its own budget
    assert [request.split(b" ")[1] for request in provider.requests] == [b"/first", b"/second"]
    assert 1.0 <= elapsed < 1.1, elapsed


def test_a_provider_call_waits_the_smaller_of_its_timeout_and_the_invocations_time(clock):
    # Given a provider timeout of 30 s, 2.5 s left in the invocation, and a provider that drips its answer
    with dripping_server() as dripping:
        provider = SandboxProvider(base_url=dripping.url, credentials={}, clock=clock, timeout=30)
        context = lambda_context("GetPaymentFunction", 2.5)
        started = time.monotonic()
        with deadline.invocation(context), pytest.raises(ProviderTimeout):
            provider.request("GET", "/payments/sbx_1")
        elapsed = time.monotonic() - started
    # Then the call ended when the invocation's time (less the reserve) ran out, leaving the reserve
    budget = 2.5 - deadline.RESERVE_SECONDS
    assert budget * 0.9 <= elapsed < budget * 1.1, elapsed
    assert context.get_remaining_time_in_millis() / 1000 > deadline.RESERVE_SECONDS * 0.8
