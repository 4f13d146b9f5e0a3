"""The published event schemas (docs/events/) are the code's, accept the events the gateway makes and
refuse what breaks the contract; and which writes make an event at all."""

from __future__ import annotations

import json

import pytest

from local import event_schemas
from paygate.events import EVENT_TYPES, PaymentEvent, refund_changes, status_change
from paygate.models import Status
from paygate.refunds import Refund, RefundStatus
from tests import event_contract, factories


def test_the_schema_files_match_the_code():
    written = {file.name for file in event_schemas.DIRECTORY.glob("*.schema.json")}
    assert written == {f"{event_type}.schema.json" for event_type in EVENT_TYPES}, "run `make openapi`"
    for file, text in event_schemas.files().items():
        assert file.read_text() == text, f"{file.name} is stale: run `make openapi`"


def detail(event: PaymentEvent) -> dict:
    return json.loads(event.model_dump_json())


@pytest.mark.parametrize("status", list(Status))
def test_a_payment_event_validates_against_its_type_and_no_other(status):
    before = factories.record(status=Status.PENDING, provider_payment_id="sbx_1", payment_url="https://p.example/1")
    after = before.model_copy(update={"status": status, "version": 2, "customer_email": "c@example.com"})
    event = status_change(before, after) if status is not Status.PENDING else status_change(None, before)
    assert event is not None
    body = detail(event)
    assert event_contract.problems_of_detail(event.type, body) == []
    other = "payment.failed" if event.type != "payment.failed" else "payment.succeeded"
    assert event_contract.problems_of_detail(other, body), "the status is pinned by the type"
    assert "c@example.com" not in json.dumps(body)  # the customer's email is not in the contract


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda body: body.update(customer_email="c@example.com"), "Additional properties"),
        (lambda body: body["payment"].update(customer_email="c@example.com"), "Additional properties"),
        (lambda body: body.pop("sequence"), "'sequence' is a required property"),
        (lambda body: body["payment"].update(amount=10.5), "is not of type 'string'"),
        (lambda body: body.update(version="2"), "not version 1"),
    ],
)
def test_what_breaks_the_contract_is_refused(change, needle):
    record = factories.record(status=Status.SUCCEEDED)
    body = detail(status_change(None, record))  # type: ignore[arg-type]
    change(body)
    problems = event_contract.problems_of_detail("payment.succeeded", body)
    assert any(needle in problem for problem in problems), problems


def test_refund_events_validate_and_created_is_pinned():
    payment = factories.record(status=Status.SUCCEEDED, amount="10.00")
    refund = Refund(
        id="re_1",
        payment_id=payment.id,
        amount="4.00",
        currency="USD",
        status=RefundStatus.PENDING,
        created_at=payment.created_at,
        updated_at=payment.created_at,
    )
    refunded = payment.model_copy(update={"refunds": [refund], "version": 2})
    (created,) = refund_changes(payment, refunded)
    assert created.type == "refund.created"
    assert event_contract.problems_of_detail("refund.created", json.loads(created.model_dump_json())) == []
    settled = refunded.model_copy(
        update={"refunds": [refund.model_copy(update={"status": RefundStatus.SUCCEEDED})], "version": 3}
    )
    (done,) = refund_changes(refunded, settled)
    body = json.loads(done.model_dump_json())
    assert event_contract.problems_of_detail("refund.succeeded", body) == []
    assert event_contract.problems_of_detail("refund.created", body), "created: false is not a creation"


def test_a_payment_is_announced_once_it_can_be_paid():
    # The write-ahead record of a provider not yet answered tells nothing: there is no page to pay on.
    ahead = factories.record(status=Status.PENDING, provider="sandbox")
    assert status_change(None, ahead) is None
    taken = ahead.model_copy(
        update={"provider_payment_id": "sbx_1", "payment_url": "https://p.example/1", "version": 2}
    )
    announced = status_change(ahead, taken)
    assert announced is not None and announced.type == "payment.pending"
    assert (announced.previous_status, announced.payment.provider_payment_id) == (None, "sbx_1")
    assert announced.payment.payment_url == "https://p.example/1"
    assert status_change(taken, taken.model_copy(update={"version": 3})) is None  # nothing new
    # A payment waiting for the customer's choice is payable on its hosted page at once.
    waiting = factories.record(status=Status.PENDING, provider=None)
    assert status_change(None, waiting) is not None
    # A payment no provider took fails: one event, which is its first.
    failed = ahead.model_copy(update={"status": Status.FAILED, "version": 2})
    assert status_change(ahead, failed).previous_status is Status.PENDING  # type: ignore[union-attr]
