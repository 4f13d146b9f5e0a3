"""Payop through the local stack over HTTP: create, IPNs confirmed by Payop's status API, failures, and refunds
through Payop's refund API, their IPNs confirmed by its refund status API."""

from __future__ import annotations

import json

import boto3
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


# --- refunds through Payop's refund API --------------------------------------------------------------


def paid(api, amount: str = "20.00") -> dict:
    """A Payop payment its customer paid (the transaction accepted, the IPN confirmed)."""
    created = create(api, amount=amount)
    api.control("payop", created["provider_payment_id"], "accepted")
    payment = api.payment(created["id"])
    assert payment["status"] == "succeeded"
    return payment


def refund(api, payment_id: str, amount: str | None = None) -> dict:
    answer = api.post(f"/payments/{payment_id}/refunds", {"amount": amount} if amount else {})
    assert answer.status_code == 201, answer.text
    return answer.json()


def refund_ipn(provider_refund_id: str, state: int, refund_id: str, txid: str = "tx-claimed") -> bytes:
    transaction = {
        "refundId": provider_refund_id, "state": state, "amount": 5, "currency": "USD",
        "metadata": {"paygate_refund_id": refund_id}, "error": {"message": "", "code": ""},
    }  # fmt: skip
    return json.dumps({"transaction": transaction, "sourceTransaction": {"id": txid, "state": 2}}).encode()


def settle_refund(api, provider_refund_id: str, state: int) -> dict:
    """Payop accepts (2) or rejects (3, 4) the refund and sends its refund IPN."""
    answer = api.http.post(
        f"{api.base}/_sim/payop/refunds/{provider_refund_id}/status", json={"state": state}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_partial_refund_goes_through_payop_and_its_ipn_settles_it_once_payop_confirms(api, stack):
    # Given a paid Payop payment
    payment = paid(api, "20.00")
    simulator = stack.simulators["payop"]
    txid = simulator.payments[payment["provider_payment_id"]]["txid"]
    # When part of it is refunded
    made = refund(api, payment["id"], "5.00")
    # Then Payop has it, pending, for the payment's transaction, with the amount a number and our id in metadata
    assert (made["status"], made["manual"], made["provider"]) == ("pending", False, "payop")
    at_payop = simulator.refunds[made["provider_refund_id"]]
    assert (at_payop["status"], at_payop["type"], at_payop["txid"]) == (1, 2, txid)
    assert json.loads(at_payop["request"]) == {
        "transactionIdentifier": txid, "refundType": 2, "amount": 5.0, "metadata": {"paygate_refund_id": made["id"]},
    }  # fmt: skip
    assert '"amount": 5.00' in at_payop["request"]
    # When Payop accepts it and its refund IPN reaches the gateway
    reads = simulator.calls["refund_status"]
    assert settle_refund(api, made["provider_refund_id"], 2) == {"delivered": True, "response_status": 200}
    # Then the refund succeeded, confirmed by Payop's refund status API
    settled = api.get(f"/refunds/{made['id']}").json()
    assert settled["status"] == "succeeded"
    assert (settled["history"][-1]["source"], settled["history"][-1]["provider_status"]) == ("callback", "refund 2")
    assert simulator.calls["refund_status"] == reads + 1
    after = api.payment(payment["id"])
    assert (after["amount_refunded"], after["refunded"]) == ("5.00", False)


def test_a_refund_ipn_claim_payop_does_not_confirm_changes_nothing(api, stack):
    payment = paid(api)
    made = refund(api, payment["id"], "5.00")
    # An IPN from an allowed address claims it accepted; Payop still says new
    answer = api.post("/ipn/payop", data=refund_ipn(made["provider_refund_id"], 2, made["id"]), key=False)
    assert answer.status_code == 200, answer.text
    assert api.get(f"/refunds/{made['id']}").json()["status"] == "pending"


def test_a_refund_ipn_from_outside_the_allowlist_is_refused_and_changes_nothing(api, stack):
    # Given a refund Payop really has accepted, but whose IPN has not arrived
    payment = paid(api)
    made = refund(api, payment["id"], "5.00")
    stack.simulators["payop"].refunds[made["provider_refund_id"]]["status"] = 2
    # When a refund IPN arrives from 127.0.0.2, not an address Payop sends from
    session = requests.Session()
    session.mount("http://", SourceAddressAdapter("127.0.0.2"))
    body = refund_ipn(made["provider_refund_id"], 2, made["id"])
    answer = session.post(api.base + "/ipn/payop", data=body, timeout=30)
    # Then it is refused, and the refund is as it was
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["type"] == "authentication_error"
    assert api.get(f"/refunds/{made['id']}").json()["status"] == "pending"


def test_a_refund_payop_rejects_fails_and_its_amount_is_refundable_again(api, stack):
    payment = paid(api, "20.00")
    made = refund(api, payment["id"])  # all of it: a full refund at Payop
    assert stack.simulators["payop"].refunds[made["provider_refund_id"]]["type"] == 1
    settle_refund(api, made["provider_refund_id"], 3)
    failed = api.get(f"/refunds/{made['id']}").json()
    assert (failed["status"], failed["failure_reason"]) == ("failed", "payop: Refund was rejected")
    assert refund(api, payment["id"])["amount"] == "20.00"


def test_a_refund_whose_create_times_out_is_looked_for_at_payop_and_fails_when_payop_has_none(api, stack, faults):
    payment = paid(api)
    simulator = stack.simulators["payop"]
    reads = simulator.calls["refund_status"]
    faults("payop", refund=["timeout"])
    made = refund(api, payment["id"], "5.00")
    assert made["status"] == "failed" and "the provider has no such refund" in made["failure_reason"]
    assert simulator.calls["refund_status"] == reads + 1  # the merchant's refunds, listed to find it
    assert refund(api, payment["id"])["amount"] == "20.00"  # nothing was given back


@pytest.fixture
def payop_without_jwt(stack):
    """The gateway's Payop credentials without a `jwt` (the simulator keeps its own), as a container that
    starts after the change reads them; and back, as one that starts after that."""
    from local.stack import SECRET_NAME
    from paygate import service

    secrets = boto3.client("secretsmanager")
    saved = secrets.get_secret_value(SecretId=SECRET_NAME)["SecretString"]
    credentials = json.loads(saved)
    credentials["payop"].pop("jwt")
    secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=json.dumps(credentials))
    service.reset()
    yield
    secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=saved)
    service.reset()


def test_without_a_jwt_a_payop_refund_is_manual(api, stack, payop_without_jwt):
    payment = paid(api)
    before = len(stack.simulators["payop"].refunds)
    made = refund(api, payment["id"], "5.00")
    assert (made["status"], made["manual"]) == ("requires_action", True)
    assert len(stack.simulators["payop"].refunds) == before  # Payop was not asked
