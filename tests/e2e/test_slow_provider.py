"""A provider that answers one byte a second, over real HTTP against the local stack: every socket read
succeeds, so only the one budget over the whole exchange ends the wait. A create answers our 504 at that
budget and leaves its record `failed`; a force_sync answers the stored payment."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import pytest

from paygate import service
from tests.dripping import dripping_server

BUDGET = 3.0  # the provider timeout; the invocation has more (15 s)


@pytest.fixture
def point_provider(api) -> Iterator[Callable[[str, str], None]]:
    """`point_provider(name, url)`: the running stack calls `name` at `url`, with a BUDGET s provider
    timeout, until the test ends."""
    saved = {name: os.environ[name] for name in ("PROVIDER_BASE_URLS", "PROVIDER_TIMEOUT_SECONDS")}

    def point(provider: str, url: str) -> None:
        bases = dict(entry.split("=", 1) for entry in os.environ["PROVIDER_BASE_URLS"].split(","))
        os.environ["PROVIDER_BASE_URLS"] = ",".join(
            f"{name}={base}" for name, base in (bases | {provider: url}).items()
        )
        os.environ["PROVIDER_TIMEOUT_SECONDS"] = str(BUDGET)
        service.reset()
        # Warm, as a container is after its first request: clients made, credentials read, adapter built.
        service.providers().get(provider)
        assert api.get("/payments", limit="1").status_code == 200

    yield point
    os.environ.update(saved)
    service.reset()


@pytest.mark.parametrize("head_at_once", [False, True], ids=["dripping-from-the-status-line", "dripping-body"])
def test_create_with_a_dripping_provider_is_our_504_at_the_budget_and_a_failed_record(
    api, table, point_provider, head_at_once
):
    with dripping_server(head_at_once=head_at_once) as provider:
        # Given the sandbox answers a byte a second
        point_provider("sandbox", provider.url)
        before = table.ids()
        # When a payment is created there
        started = time.monotonic()
        answer = api.post("/payments", {"amount": "10.00", "currency": "USD", "provider": "sandbox"})
        elapsed = time.monotonic() - started
        called = list(provider.requests)
    # Then the provider was called, and the merchant had our 504, in the one error shape, within the budget
    assert called and called[0].startswith(b"POST ")
    assert BUDGET <= elapsed < BUDGET * 1.1, elapsed
    assert answer.status_code == 504, answer.text
    error = answer.json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("provider_error", "provider_timeout", None)
    assert f"within {BUDGET:g} s" in error["message"]
    # And the record written ahead of the call is failed with the reason, with nothing left to check
    record = table.new_record(before)
    assert record["status"]["S"] == "failed"
    assert record["failure_reason"]["S"].startswith("provider_timeout")
    assert "due_at" not in record


def test_force_sync_with_a_dripping_provider_answers_the_stored_status_within_the_budget(api, point_provider):
    # Given a NOWPayments payment, created while NOWPayments answered at once
    created = api.create(provider="nowpayments", pay_currency="btc")
    with dripping_server() as provider:
        # When NOWPayments then answers a byte a second, and the merchant asks for a fresh status
        point_provider("nowpayments", provider.url)
        started = time.monotonic()
        answer = api.get(f"/payments/{created['id']}", force_sync="true")
        elapsed = time.monotonic() - started
        called = list(provider.requests)
    # Then NOWPayments was asked, and the stored payment was answered when the budget ran out
    assert called and called[0].startswith(b"GET ")
    assert BUDGET <= elapsed < BUDGET * 1.1, elapsed
    assert answer.status_code == 200, answer.text
    synced = answer.json()
    assert (synced["status"], synced["version"]) == (created["status"], created["version"])
    assert synced["history"] == created["history"]
