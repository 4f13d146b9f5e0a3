"""The client against the local stack over HTTP: a create whose answer is lost is made once, every page of
a list is read, real webhooks verify and altered ones do not, and every resource reads the stack's answers."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from conftest import KEY, PAGES_KEY, Gateway
from requests.adapters import HTTPAdapter
from standardwebhooks import Webhook

import paygate_client
from paygate_client import Paygate, verify_webhook


class LoseTheFirstCreateAnswer(HTTPAdapter):
    """Sends every request for real; the first create's answer, once the gateway made the payment (and asked
    the provider), is replaced by a 502, as a proxy failing on the way back would."""

    def __init__(self) -> None:
        super().__init__()
        self.lost: list[dict[str, Any]] = []
        self.create_keys: list[str] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        response = super().send(request, *args, **kwargs)
        if request.method == "POST" and urlsplit(request.url or "").path == "/payments":
            self.create_keys.append(str(request.headers["Idempotency-Key"]))
            if not self.lost:
                self.lost.append(response.json())
                bad = requests.Response()
                bad.status_code = 502
                bad._content = b'{"error": {"type": "api_error", "code": "bad_gateway", "message": "lost"}}'
                bad.headers["Content-Type"] = "application/json"
                bad.request, bad.url = request, response.url
                return bad
        return response


def test_a_create_whose_answer_is_lost_is_made_once(gateway: Gateway) -> None:
    adapter = LoseTheFirstCreateAnswer()
    session = requests.Session()
    session.mount("http://", adapter)
    paygate = Paygate(KEY, gateway.base_url, session=session)
    reference = f"order-{uuid.uuid4().hex[:12]}"
    creates_before = gateway.provider_creates()

    payment = paygate.payments.create(amount="10.50", currency="USD", provider="sandbox", reference=reference)

    # The first try reached the gateway, which made the payment at the provider; its answer was lost.
    assert adapter.lost and adapter.lost[0]["status"] == "pending"
    # The retry carried the same key: the gateway replayed the first answer, and asked the provider nothing.
    assert len(adapter.create_keys) == 2 and len(set(adapter.create_keys)) == 1
    assert gateway.provider_creates() == creates_before + 1
    assert payment.id == adapter.lost[0]["id"]
    assert payment == paygate_client.Payment.model_validate(adapter.lost[0])
    assert [found.id for found in paygate.payments.list(reference=reference)] == [payment.id]


def test_pagination_reads_every_payment_once(gateway: Gateway) -> None:
    paygate = Paygate(PAGES_KEY, gateway.base_url)

    # One after the other: the local stack runs a function's invocations in threads of one process, which
    # Lambda never does, and its handlers keep the current request in module state.
    created = {
        paygate.payments.create(amount="1.00", currency="EUR", provider="sandbox", reference=f"p-{number}").id
        for number in range(250)
    }
    assert len(created) == 250

    listed = [payment.id for payment in paygate.payments.list()]
    assert len(listed) == 250 and set(listed) == created

    # Small pages too: the iterator follows the server's cursor page after page.
    assert [payment.id for payment in paygate.payments.list(limit=7)] == listed
    first = paygate.payments.list_page(limit=100)
    assert len(first.data) == 100 and first.has_more
    assert [payment.id for payment in first.data] == listed[:100]
    newest_first = [payment.created_at for payment in paygate.payments.list()]
    assert newest_first == sorted(newest_first, reverse=True)


def of_payment(gateway: Gateway, receiver: str, payment_id: str) -> dict[str, Any]:
    """The receiver's webhook about `payment_id` (the account's other payments may be told to it too)."""
    deadline = time.monotonic() + 60
    while not (
        mine := [w for w in gateway.received(receiver) if json.loads(w["body"])["data"]["payment"]["id"] == payment_id]
    ):
        assert time.monotonic() < deadline, f"no webhook of {payment_id} after 60 s"
        time.sleep(0.5)
    return mine[0]


def test_verify_webhook_accepts_a_real_delivery_and_refuses_altered_ones(paygate: Paygate, gateway: Gateway) -> None:
    receiver = f"shop-{uuid.uuid4().hex[:8]}"
    endpoint = paygate.webhook_endpoints.create(url=gateway.receiver_url(receiver), events=["payment.succeeded"])
    assert endpoint.secret and endpoint.secret.startswith("whsec_")
    try:
        payment = paygate.payments.create(amount="12.00", currency="USD", provider="sandbox")
        assert payment.provider_payment_id
        gateway.pay(payment.provider_payment_id)
        webhook = of_payment(gateway, receiver, payment.id)
        body, headers = webhook["body"], webhook["headers"]

        event = verify_webhook(body.encode(), headers, endpoint.secret)
        assert event.type == "payment.succeeded"
        assert event.payment is not None and event.payment.id == payment.id and event.payment.status == "succeeded"
        # Header names in any case, and the body as text, verify the same.
        assert verify_webhook(body, {name.upper(): value for name, value in headers.items()}, endpoint.secret) == event

        refused = paygate_client.WebhookVerificationError
        with pytest.raises(refused):  # the body altered
            verify_webhook(body.replace('"12.00"', '"1200.00"'), headers, endpoint.secret)
        assert '"12.00"' in body
        signature = headers["webhook-signature"]
        version, _, digest = signature.partition(",")
        altered = bytearray(base64.b64decode(digest))
        altered[0] ^= 1
        forged = {**headers, "webhook-signature": f"{version},{base64.b64encode(altered).decode()}"}
        with pytest.raises(refused):  # the signature altered
            verify_webhook(body, forged, endpoint.secret)
        with pytest.raises(refused):  # another endpoint's secret
            verify_webhook(body, headers, "whsec_" + base64.b64encode(b"x" * 24).decode())
        # Stale: signed with the endpoint's own secret, but ten minutes ago (a replay of an old delivery).
        then = datetime.now(UTC) - timedelta(minutes=10)
        old = Webhook(endpoint.secret).sign(headers["webhook-id"], then, body)
        stale = {**headers, "webhook-timestamp": str(int(then.timestamp())), "webhook-signature": old}
        with pytest.raises(refused, match=r"(?i)timestamp|old"):
            verify_webhook(body, stale, endpoint.secret)
        # The real timestamp with the body unchanged still verifies (the refusals above were for their change).
        assert verify_webhook(body, headers, endpoint.secret).data["event_id"] == headers["webhook-id"]
        assert json.loads(body)["data"]["payment"]["id"] == payment.id
    finally:
        paygate.webhook_endpoints.delete(endpoint.id)


def test_errors_arrive_as_their_exceptions(paygate: Paygate, gateway: Gateway) -> None:
    with pytest.raises(paygate_client.NotFoundError) as missing:
        paygate.payments.get("pay_" + "0" * 24)
    assert missing.value.status == 404 and missing.value.code == "payment_not_found"
    assert missing.value.correlation_id

    with pytest.raises(paygate_client.ValidationError) as invalid:
        paygate.payments.create(amount="10.5.0", currency="USD", provider="sandbox")
    assert (invalid.value.status, invalid.value.code, invalid.value.param) == (422, "validation_error", "amount")

    with pytest.raises(paygate_client.AuthenticationError) as unknown:
        Paygate("pg_not_a_key", gateway.base_url).payments.get("pay_" + "0" * 24)
    assert unknown.value.status == 401

    # A business conflict is an answer, raised at once: no retry.
    payment = paygate.payments.create(amount="3.00", currency="USD", provider="sandbox")
    assert payment.provider_payment_id
    gateway.pay(payment.provider_payment_id)
    started = time.monotonic()
    with pytest.raises(paygate_client.ConflictError) as conflict:
        paygate.payments.cancel(payment.id)
    assert conflict.value.code == "payment_not_cancellable" and time.monotonic() - started < 5


def test_every_resource_reads_the_stacks_answers(paygate: Paygate, gateway: Gateway) -> None:
    payment = paygate.payments.create(amount="10.50", currency="USD", provider="sandbox", metadata={"order": "9"})
    assert payment.provider_payment_id
    gateway.pay(payment.provider_payment_id)
    paid = paygate.payments.get(payment.id)
    assert paid.status == "succeeded" and paid.terminal and paid.metadata == {"order": "9"}
    assert [entry.status for entry in paid.history] == ["pending", "succeeded"]

    refund = paygate.refunds.create(payment.id, amount="4.00", reason="one item returned")
    assert (refund.payment_id, refund.amount, refund.status) == (payment.id, "4.00", "pending")
    assert paygate.refunds.get(refund.id) == refund
    assert [found.id for found in paygate.refunds.list(payment.id)] == [refund.id]
    assert refund.provider_refund_id
    gateway.post(f"/_sim/sandbox/refunds/{refund.provider_refund_id}/status", {"status": "succeeded"})
    assert paygate.refunds.get(refund.id).status == "succeeded"
    assert paygate.payments.get(payment.id).amount_refunded == "4.00"

    other = paygate.payments.create(amount="5.00", currency="EUR", provider="sandbox")
    cancelled = paygate.payments.cancel(other.id)
    assert cancelled.status == "cancelled" and paygate.payments.cancel(other.id) == cancelled

    methods = paygate.payment_methods.list(currency="USD", amount="10.00")
    assert methods and any(method.provider == "sandbox" for method in methods)

    endpoint = paygate.webhook_endpoints.create(url=gateway.receiver_url("shop-resources"), description="test")
    assert endpoint.id in {found.id for found in paygate.webhook_endpoints.list()}
    assert paygate.webhook_endpoints.get(endpoint.id).secret is None
    rotated = paygate.webhook_endpoints.rotate_secret(endpoint.id)
    assert rotated.secret and rotated.secret != endpoint.secret
    assert isinstance(paygate.webhook_endpoints.deliveries(endpoint.id), list)
    assert paygate.webhook_endpoints.delete(endpoint.id).deleted

    account = paygate.account.get()
    assert account.id == "acct_client"
    assert paygate.account.update(display_name="Client shop").display_name == "Client shop"
    keys = paygate.api_keys.list()
    assert keys and all(key.secret is None for key in keys)

    # The stack pumps the export worker every second.
    export = paygate.exports.create(type="balance", created_gte=payment.created_at, created_lt=paid.updated_at)
    assert export.status == "pending" and export.url is None
    waited = time.monotonic()
    while (export := paygate.exports.get(export.id)).status != "succeeded" and time.monotonic() - waited < 30:
        time.sleep(0.2)
    assert export.rows == 2 and export.url  # the payment's money, and its refund


def test_the_readmes_example_runs(paygate: Paygate, gateway: Gateway) -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    section = readme.split("## Python client", 1)[1].split("\n## ", 1)[0]
    example = re.findall(r"```python\n(.*?)```", section, re.DOTALL)[0]
    receiver = f"shop-{uuid.uuid4().hex[:8]}"
    endpoint = paygate.webhook_endpoints.create(url=gateway.receiver_url(receiver), events=["payment.pending"])
    try:
        created = paygate.payments.create(amount="2.00", currency="USD", provider="sandbox")
        webhook = of_payment(gateway, receiver, created.id)
        names: dict[str, Any] = {
            "request_body": webhook["body"].encode(),
            "request_headers": webhook["headers"],
            "secret": endpoint.secret,
        }
        local = example.replace("http://127.0.0.1:3000", gateway.base_url).replace('"pg_local_test_key"', repr(KEY))
        exec(local, names)  # noqa: S102
    finally:
        paygate.webhook_endpoints.delete(endpoint.id)
    assert isinstance(names["payment"], paygate_client.Payment) and names["payment"].reference == "order-123"
    assert names["event"].type == "payment.pending"


def test_a_create_retried_after_a_provider_failure_returns_a_new_payment(paygate: Paygate, gateway: Gateway) -> None:
    reference = f"order-{uuid.uuid4().hex[:12]}"
    gateway.post("/_sim/sandbox/_faults", {"create": ["error"]})  # the provider's next create fails (HTTP 500)
    creates_before = gateway.provider_creates()

    payment = paygate.payments.create(amount="8.00", currency="USD", provider="sandbox", reference=reference)

    assert payment.status == "pending" and payment.payment_url
    assert gateway.provider_creates() == creates_before + 2
    recorded = {found.status: found for found in paygate.payments.list(reference=reference)}
    assert set(recorded) == {"pending", "failed"} and recorded["pending"].id == payment.id
    assert recorded["failed"].failure_reason and recorded["failed"].payment_url is None


def test_a_reconciliation_checks_the_periods_open_payments(paygate: Paygate, gateway: Gateway) -> None:
    start = datetime.now(UTC) - timedelta(seconds=5)
    open_payment = paygate.payments.create(amount="3.00", currency="USD", provider="sandbox")
    run = paygate.reconciliations.run(provider="sandbox", created_gte=start, created_lt=datetime.now(UTC))
    assert (run.provider, run.method, run.complete) == ("sandbox", "status_checks", True)
    assert run.checked >= 1  # at least the payment just made, still pending
    assert paygate.payments.get(open_payment.id).status == "pending"  # the provider says so too: nothing to repair
    differences = list(paygate.reconciliations.differences())
    assert all(isinstance(found, paygate_client.Difference) for found in differences)
