"""Payop through the local stack over HTTP: create, IPNs confirmed by Payop's status API, and failures."""

from __future__ import annotations

import json

import pytest
import requests
from requests.adapters import HTTPAdapter

PAYER = "payer@example.com"


def create(api, **fields) -> dict:
    return api.create(provider="payop", customer_email=PAYER, **fields)


def ipn_body(created: dict, state: int, txid: str = "tx-claimed") -> bytes:
    return json.dumps(
        {
            "invoice": {"id": created["provider_payment_id"], "status": 1, "txid": txid, "metadata": {}},
            "transaction": {"id": txid, "state": state, "order": {"id": created["id"]}, "error": {}},
        }
    ).encode()


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a chosen local address, so the gateway sees another sender."""

    def __init__(self, source: str):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def test_create_gives_a_checkout_url(api, stack):
    created = create(api, amount="12.00")
    assert created["status"] == "pending"
    assert created["payment_url"].endswith(
        f"/_sim/payop/checkout/en/payment/invoice-preprocessing/{created['provider_payment_id']}"
    )
    # the simulator stored the invoice with the amount string exactly as sent
    assert stack.simulators["payop"].payments[created["provider_payment_id"]]["amount"] == "12.00"
    assert api.http.get(created["payment_url"], timeout=10).status_code == 200


def test_an_accepted_ipn_succeeds_the_payment_once_payop_confirms_it(api, stack):
    # Given a Payop payment
    created = create(api)
    reads_before = stack.simulators["payop"].calls["invoice"]
    # When Payop reports the transaction accepted (an unsigned IPN from an allowed address)
    delivery = api.control("payop", created["provider_payment_id"], "accepted")
    # Then the gateway answered 200 and, having asked Payop, the payment is succeeded
    assert delivery == {"delivered": True, "response_status": 200}
    payment = api.payment(created["id"])
    assert payment["status"] == "succeeded"
    assert payment["history"][-1]["source"] == "callback"
    assert stack.simulators["payop"].calls["invoice"] == reads_before + 1  # the status call that confirmed it


def test_preapproved_is_processing_not_success(api):
    created = create(api)
    api.control("payop", created["provider_payment_id"], "preapproved")
    assert api.payment(created["id"])["status"] == "processing"


def test_failed_then_accepted_ends_succeeded(api):
    created = create(api)
    api.control("payop", created["provider_payment_id"], "failed")
    assert api.payment(created["id"])["status"] == "failed"
    api.control("payop", created["provider_payment_id"], "accepted")
    payment = api.payment(created["id"])
    assert payment["status"] == "succeeded"
    assert [entry["status"] for entry in payment["history"]] == ["pending", "failed", "succeeded"]


def test_an_ipn_from_outside_the_allowlist_is_refused_and_changes_nothing(api, stack):
    # Given a payment that Payop really has accepted, but whose IPN has not arrived
    created = create(api)
    stack.simulators["payop"].payments[created["provider_payment_id"]]["status"] = 1
    # When an IPN arrives from 127.0.0.2, not an address Payop sends from
    session = requests.Session()
    session.mount("http://", SourceAddressAdapter("127.0.0.2"))
    answer = session.post(api.base + "/ipn/payop", data=ipn_body(created, 2), timeout=30)
    # Then it is refused and the payment is unchanged
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["type"] == "authentication_error"
    assert api.payment(created["id"])["version"] == created["version"]


def test_an_ipn_claim_payop_does_not_confirm_changes_nothing(api):
    # Given a payment still new at Payop
    created = create(api)
    # When an IPN from an allowed address claims it accepted
    answer = api.post("/ipn/payop", data=ipn_body(created, 2), key=False)
    # Then it is acknowledged (a hint) but, Payop saying "new", nothing changes
    assert answer.status_code == 200, answer.text
    payment = api.payment(created["id"])
    assert payment["status"] == "pending" and payment["version"] == created["version"]


def test_a_missing_customer_email_is_a_422_and_no_record(api, table):
    before = table.count()
    answer = api.post("/payments", {"amount": "10.00", "currency": "USD", "provider": "payop"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["param"] == "customer_email"
    assert table.count() == before


@pytest.fixture
def secret_mismatch(stack):
    """The simulator holds another secret key than the gateway: every signature is wrong to it."""
    simulator = stack.simulators["payop"]
    saved = simulator.credentials
    simulator.credentials = {**saved, "secret_key": "not-the-gateways-secret"}
    yield
    simulator.credentials = saved


def test_a_create_payop_refuses_is_a_clean_error_and_a_failed_record(api, table, secret_mismatch):
    before = table.ids()
    answer = api.post("/payments", {"amount": "10.00", "currency": "USD", "provider": "payop", "customer_email": PAYER})
    assert answer.status_code == 502, answer.text
    assert answer.json()["error"]["code"] == "provider_rejected"
    assert "Wrong signature" in answer.json()["error"]["message"]
    record = table.new_record(before)
    assert record["status"]["S"] == "failed"
    assert record["failure_reason"]["S"] == "provider_rejected: payop: Wrong signature"


def test_a_create_timeout_is_a_clean_error_and_a_failed_record(api, table, faults):
    before = table.ids()
    faults("payop", create=["timeout"])
    answer = api.post("/payments", {"amount": "10.00", "currency": "USD", "provider": "payop", "customer_email": PAYER})
    assert answer.status_code == 504, answer.text
    assert answer.json()["error"]["code"] == "provider_timeout"
    record = table.new_record(before)
    assert record["status"]["S"] == "failed"
    assert record["failure_reason"]["S"].startswith("provider_timeout")
