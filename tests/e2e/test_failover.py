"""Failover over real HTTP: the first provider by the rules faulted at its simulator (a timeout, a 5xx,
garbage), a create that names no provider is taken by the next one, both attempts on the payment, and the
customer is only ever sent to the provider that took it; after repeated faults the first provider's circuit
opens and it is not called, and after the pause it is called again."""

from __future__ import annotations

import time

import requests

from tests.e2e.conftest import Api

ROUTED = {"amount": "10.50", "currency": "USD"}  # no provider: sandbox first, then paygentic, then ivpay


def sandbox_creates(api: Api) -> int:
    return requests.get(f"{api.base}/_sim/sandbox/_calls", timeout=10).json().get("create", 0)


def test_a_faulted_provider_is_failed_over_then_skipped_then_tried_again(api, faults):
    for fault, code in (("timeout", "provider_timeout"), ("error", "provider_unavailable"),
                        ("garbage", "provider_invalid_response")):  # fmt: skip
        faults("sandbox", create=[fault])
        response = api.post("/payments", ROUTED)
        assert response.status_code == 201, response.text
        payment = response.json()
        assert (payment["provider"], payment["status"]) == ("paygentic", "pending")
        assert [(a["provider"], a["outcome"], a["error_code"]) for a in payment["attempts"]] == [
            ("sandbox", "failed", code),
            ("paygentic", "succeeded", None),
        ]
        # The customer sees only the provider that took it: its page, and Paygate's link leads there
        assert "/_sim/paygentic/" in payment["payment_url"]
        link = requests.get(payment["checkout_url"], allow_redirects=False, timeout=10)
        assert (link.status_code, link.headers["Location"]) == (303, payment["payment_url"])
    # Three failures in a row: the sandbox's circuit is open, and it is not even called
    called = sandbox_creates(api)
    skipped = api.post("/payments", ROUTED).json()
    assert sandbox_creates(api) == called
    assert [(a["provider"], a["outcome"], a["error_code"]) for a in skipped["attempts"]] == [
        ("sandbox", "skipped", "circuit_open"),
        ("paygentic", "succeeded", None),
    ]
    # After the pause it is tried again, and takes the payment
    time.sleep(2.5)
    again = api.post("/payments", ROUTED).json()
    assert sandbox_creates(api) == called + 1
    assert [(a["provider"], a["outcome"]) for a in again["attempts"]] == [("sandbox", "succeeded")]
