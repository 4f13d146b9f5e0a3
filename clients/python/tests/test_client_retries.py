"""The retry policy, with no network: a fake session answers from a script and records what was sent."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import requests

import paygate_client
from paygate_client import Paygate

PAYMENT = {
    "id": "pay_0123456789abcdef01234567",
    "object": "payment",
    "status": "pending",
    "amount": "10.50",
    "currency": "USD",
    "created_at": "2026-12-06T10:00:00Z",
    "updated_at": "2026-12-06T10:00:00Z",
}


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body if body is not None else PAYMENT).encode()
    response.headers.update(headers or {})
    return response


def error(status: int, code: str, **fields: Any) -> dict:
    return {"error": {"type": "invalid_request", "code": code, "message": f"{code} happened", "param": None, **fields}}


class FakeSession(requests.Session):
    """Answers each request with the next item of the script (an answer, or an exception to raise)."""

    def __init__(self, *script: requests.Response | Exception):
        super().__init__()
        self.script = list(script)
        self.sent: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append({"method": method, "url": url, **kwargs})
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def client(session: FakeSession, **options: Any) -> tuple[Paygate, list[float]]:
    paygate = Paygate("pg_key", "https://pay.example", session=session, **options)
    waits: list[float] = []
    paygate.transport.sleep = waits.append
    paygate.transport.random = lambda: 0.5
    return paygate, waits


def test_configuration_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYGATE_API_KEY", "pg_env_key")
    monkeypatch.setenv("PAYGATE_BASE_URL", "https://env.example/")
    session = FakeSession(answer(200))
    Paygate(session=session).payments.get("pay_1")
    assert session.sent[0]["url"] == "https://env.example/payments/pay_1"
    assert session.sent[0]["headers"]["X-API-Key"] == "pg_env_key"
    # Arguments win over the environment.
    session = FakeSession(answer(200))
    Paygate("pg_arg", "https://arg.example", session=session).payments.get("pay_1")
    assert (
        session.sent[0]["url"].startswith("https://arg.example/")
        and session.sent[0]["headers"]["X-API-Key"] == "pg_arg"
    )


def test_missing_configuration_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYGATE_API_KEY", raising=False)
    monkeypatch.delenv("PAYGATE_BASE_URL", raising=False)
    with pytest.raises(paygate_client.ConfigurationError, match="PAYGATE_API_KEY"):
        Paygate(base_url="https://pay.example")
    with pytest.raises(paygate_client.ConfigurationError, match="PAYGATE_BASE_URL"):
        Paygate("pg_key")


def test_a_create_retries_5xx_with_one_idempotency_key_and_backoff() -> None:
    session = FakeSession(
        answer(502, error(502, "provider_unavailable")),
        answer(503, error(503, "provider_not_configured")),
        answer(201),
    )
    paygate, waits = client(session)
    payment = paygate.payments.create(amount="10.50", currency="USD", provider="sandbox")
    assert payment.id == PAYMENT["id"]
    keys = {sent["headers"]["Idempotency-Key"] for sent in session.sent}
    assert len(session.sent) == 3 and len(keys) == 1
    # Exponential, with half of each delay drawn at random (0.5 here): 0.5 s then 1 s, times 3/4.
    assert waits == [0.375, 0.75]
    assert session.sent[0]["json"] == {"amount": "10.50", "currency": "USD", "provider": "sandbox"}


def test_each_create_call_has_its_own_key_and_a_given_key_is_used() -> None:
    session = FakeSession(answer(201), answer(201), answer(201))
    paygate, _ = client(session)
    paygate.payments.create(amount="1.00", currency="USD")
    paygate.payments.create(amount="1.00", currency="USD")
    paygate.payments.create(amount="1.00", currency="USD", idempotency_key="order-9")
    first, second, mine = (sent["headers"]["Idempotency-Key"] for sent in session.sent)
    assert first != second and mine == "order-9"


def test_retry_after_is_honoured_on_429_and_in_progress_409() -> None:
    session = FakeSession(
        answer(429, error(429, "rate_limited"), {"Retry-After": "7"}),
        answer(409, error(409, "idempotency_in_progress"), {"Retry-After": "1"}),
        answer(201),
    )
    paygate, waits = client(session)
    paygate.payments.create(amount="1.00", currency="USD")
    assert waits == [7.0, 1.0]
    assert len({sent["headers"]["Idempotency-Key"] for sent in session.sent}) == 1


def test_a_business_conflict_and_other_4xx_are_never_retried() -> None:
    for status, code, kind in [
        (409, "payment_not_cancellable", paygate_client.ConflictError),
        (409, "too_many_rotations", paygate_client.ConflictError),
        (422, "validation_error", paygate_client.ValidationError),
        (400, "invalid_json", paygate_client.InvalidRequestError),
        (401, "invalid_api_key", paygate_client.AuthenticationError),
        (403, "forbidden", paygate_client.PermissionError),
        (404, "payment_not_found", paygate_client.NotFoundError),
    ]:
        session = FakeSession(answer(status, error(status, code, param="amount")))
        paygate, waits = client(session)
        with pytest.raises(kind) as raised:
            paygate.payments.create(amount="1.00", currency="USD")
        assert (raised.value.status, raised.value.code, raised.value.param) == (status, code, "amount")
        assert len(session.sent) == 1 and waits == []


def test_after_the_last_try_the_error_is_raised_with_the_failed_payment() -> None:
    failed = error(502, "provider_rejected", payment_id="pay_failed")
    session = FakeSession(*[answer(502, failed) for _ in range(3)])
    paygate, waits = client(session, max_retries=2)
    with pytest.raises(paygate_client.ProviderError) as raised:
        paygate.payments.create(amount="1.00", currency="USD")
    assert raised.value.payment_id == "pay_failed" and raised.value.status == 502
    assert len(session.sent) == 3 and len(waits) == 2


def test_a_replayed_error_is_final() -> None:
    session = FakeSession(answer(504, error(504, "provider_timeout"), {"Idempotent-Replayed": "true"}))
    paygate, _ = client(session)
    with pytest.raises(paygate_client.ProviderError):
        paygate.payments.create(amount="1.00", currency="USD")
    assert len(session.sent) == 1


def test_reads_retry_network_failures_and_5xx() -> None:
    session = FakeSession(requests.ConnectionError("reset"), answer(500, error(500, "internal_error")), answer(200))
    paygate, waits = client(session)
    assert paygate.payments.get("pay_1").id == PAYMENT["id"]
    assert len(session.sent) == 3 and len(waits) == 2
    assert all("Idempotency-Key" not in sent["headers"] for sent in session.sent)


def test_network_failures_on_every_try_raise_a_connection_error() -> None:
    session = FakeSession(*[requests.Timeout("slow") for _ in range(4)])
    paygate, waits = client(session)
    with pytest.raises(paygate_client.APIConnectionError):
        paygate.payments.get("pay_1")
    assert len(session.sent) == 4 and len(waits) == 3


def test_a_write_without_a_key_is_not_sent_again_when_it_may_have_been_made() -> None:
    session = FakeSession(answer(502, error(502, "provider_unavailable")))
    paygate, _ = client(session)
    with pytest.raises(paygate_client.ProviderError):
        paygate.payments.cancel("pay_1")
    assert len(session.sent) == 1
    session = FakeSession(requests.ConnectionError("reset"))
    paygate, _ = client(session)
    with pytest.raises(paygate_client.APIConnectionError):
        paygate.payments.cancel("pay_1")
    assert len(session.sent) == 1
    # ...but a `conflict` 409 says it was not made: asked again after its Retry-After.
    session = FakeSession(answer(409, error(409, "conflict"), {"Retry-After": "1"}), answer(200))
    paygate, waits = client(session)
    assert paygate.payments.cancel("pay_1").id == PAYMENT["id"] and waits == [1.0]


def test_backoff_grows_is_capped_and_jittered() -> None:
    paygate, _ = client(FakeSession())
    transport = paygate.transport
    transport.random = lambda: 0.0
    assert [transport.backoff(n, None) for n in range(4)] == [0.25, 0.5, 1.0, 2.0]
    transport.random = lambda: 1.0
    assert transport.backoff(20, None) == 30.0
    assert transport.backoff(0, "120") == 30.0  # a Retry-After is honoured up to the cap


def test_max_retries_zero_never_retries() -> None:
    session = FakeSession(answer(503, error(503, "provider_unavailable")))
    paygate, _ = client(session, max_retries=0)
    with pytest.raises(paygate_client.ProviderError):
        paygate.payments.get("pay_1")
    assert len(session.sent) == 1


def test_an_error_without_the_error_shape_still_raises_by_status() -> None:
    broken = requests.Response()
    broken.status_code = 500
    broken._content = b"<html>bad gateway</html>"
    session = FakeSession(broken)
    paygate, _ = client(session, max_retries=0)
    with pytest.raises(paygate_client.ServerError) as raised:
        paygate.payments.get("pay_1")
    assert raised.value.status == 500 and raised.value.code is None


def test_any_409_with_retry_after_is_asked_again() -> None:
    session = FakeSession(answer(409, error(409, "record_busy"), {"Retry-After": "2"}), answer(200))
    paygate, waits = client(session)
    assert paygate.payments.accept("pay_1").id == PAYMENT["id"] and waits == [2.0]


def test_a_write_whose_connection_was_never_made_is_sent_again() -> None:
    session = FakeSession(requests.ConnectTimeout("no route"), answer(200))
    paygate, waits = client(session)
    assert paygate.payments.cancel("pay_1").id == PAYMENT["id"] and len(session.sent) == 2 and len(waits) == 1


def test_a_refund_create_keeps_its_key_across_tries_and_sends_only_what_is_given() -> None:
    refund = {
        "id": "re_1",
        "payment_id": "pay_1",
        "status": "pending",
        "amount": "4.00",
        "currency": "USD",
        "created_at": "2026-12-06T10:00:00Z",
        "updated_at": "2026-12-06T10:00:00Z",
    }
    session = FakeSession(requests.ReadTimeout("slow"), answer(201, refund))
    paygate, _ = client(session)
    assert paygate.refunds.create("pay_1", amount=Decimal("4.00")).id == "re_1"
    assert [sent["json"] for sent in session.sent] == [{"amount": "4.00"}] * 2
    assert len({sent["headers"]["Idempotency-Key"] for sent in session.sent}) == 1


def test_list_follows_the_servers_cursor_until_the_last_page() -> None:
    def page(ids: list[str], has_more: bool, cursor: str | None) -> requests.Response:
        data = [{**PAYMENT, "id": payment_id} for payment_id in ids]
        return answer(200, {"object": "list", "data": data, "has_more": has_more, "next_starting_after": cursor})

    # The second page found nothing to show (a filter skipped what it read) but says where it stopped.
    pages = [page(["pay_a", "pay_b"], True, "pay_b"), page([], True, "pay_x"), page(["pay_c"], False, None)]
    session = FakeSession(*pages)
    paygate, _ = client(session)
    assert [payment.id for payment in paygate.payments.list(status="succeeded", limit=2)] == ["pay_a", "pay_b", "pay_c"]
    assert [sent["params"].get("starting_after") for sent in session.sent] == [None, "pay_b", "pay_x"]
    assert all(sent["params"] == {**sent["params"], "status": "succeeded", "limit": 2} for sent in session.sent)


def test_close_closes_only_the_session_the_client_made(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[requests.Session] = []
    monkeypatch.setattr(requests.Session, "close", lambda session: closed.append(session))
    given = FakeSession()
    with Paygate("pg_key", "https://pay.example", session=given):
        pass
    assert closed == []
    with Paygate("pg_key", "https://pay.example") as paygate:
        made = paygate.transport.session
    assert closed == [made]
