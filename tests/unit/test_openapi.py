"""The committed OpenAPI document and event schema are the ones the code generates (`make openapi`
rewrites both)."""

import json

from local.openapi import DOCUMENT, EVENTS_SCHEMA, document, events_schema
from paygate.events import EVENT_TYPES, BusEvent, PaymentEvent, WebhookPayload, event_type
from paygate.models import Status
from paygate.refunds import RefundStatus
from tests import factories


def test_openapi_document_matches_the_code(aws_env):
    assert DOCUMENT.read_text() == document(), "openapi.json is stale: run `make openapi`"


def test_the_event_schema_matches_the_code():
    assert EVENTS_SCHEMA.read_text() == events_schema(), "docs/events.schema.json is stale: run `make openapi`"


def test_every_status_has_its_event_type_and_no_other_type_exists():
    # A refund pending at its provider tells nothing after its creation: `refund.created` stands for it.
    refund_types = [event_type(status) for status in RefundStatus if status is not RefundStatus.PENDING]
    expected = [event_type(status) for status in Status] + ["refund.created", *refund_types]
    assert sorted(expected) == sorted(EVENT_TYPES)


def test_an_event_reads_back_from_its_json_as_the_bus_and_a_webhook_carry_it():
    payment = factories.record(status=Status.SUCCEEDED).public()
    detail = PaymentEvent(
        event_id=f"{payment.id}:2", sequence=2, previous_status=Status.PENDING, account_id="a", payment=payment
    )
    bus = BusEvent.model_validate(
        {"detail-type": detail.type, "time": "2026-01-01T12:00:00Z", "detail": json.loads(detail.model_dump_json())}
    )
    assert bus.detail == detail and bus.detail_type == "payment.succeeded"
    body = json.loads(WebhookPayload.of(bus).model_dump_json())
    assert (body["type"], body["timestamp"], body["data"]["payment"]["id"]) == (
        "payment.succeeded",
        "2026-01-01T12:00:00Z",
        payment.id,
    )
