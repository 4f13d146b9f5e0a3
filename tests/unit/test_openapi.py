"""The committed OpenAPI document and event schema are the ones the code generates (`make openapi`
rewrites both)."""

import json

from local.openapi import DOCUMENT, EVENTS_SCHEMA, document, events_schema
from paygate.events import EVENT_TYPES, PING, BusEvent, PaymentEvent, WebhookPayload, event_type
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


def _walk(node, path=""):
    """Every (path, object) of the document, depth first."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def _operations(spec):
    for group in ("paths", "webhooks"):
        for route, item in spec.get(group, {}).items():
            for method, operation in item.items():
                yield f"{group} {method.upper()} {route}", operation


def test_every_operation_parameter_and_schema_property_is_described():
    spec = json.loads(DOCUMENT.read_text())
    undescribed = [
        f"{path}/properties/{name}"
        for path, node in _walk(spec)
        if isinstance(node, dict) and isinstance(node.get("properties"), dict)
        for name, prop in node["properties"].items()
        if not (isinstance(prop, dict) and prop.get("description"))
    ]
    for name, operation in _operations(spec):
        undescribed += [f"{name}: {field}" for field in ("summary", "description") if not operation.get(field)]
        undescribed += [
            f"{name}: parameter {param.get('name')}"
            for param in operation.get("parameters", [])
            if not param.get("description") and "$ref" not in param
        ]
        undescribed += [
            f"{name}: response {status}" for status, r in operation["responses"].items() if not r.get("description")
        ]
    undescribed += [
        f"schema {name}" for name, schema in spec["components"]["schemas"].items() if not schema.get("description")
    ]
    assert undescribed == []


def test_every_error_answer_is_the_one_error_shape():
    spec = json.loads(DOCUMENT.read_text())
    schemas = spec["components"]["schemas"]
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(schemas)
    assert schemas["Error"]["properties"]["error"]["required"] == ["type", "code", "message"]
    for name, operation in _operations(spec):
        if name.startswith("webhooks") or "/checkout/" in name:
            continue
        errors = {status: r for status, r in operation["responses"].items() if int(status) >= 400}
        assert {"400", "429", "500"} <= set(errors), name
        for status, response in errors.items():
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
            assert "`error.code` is one of" in response["description"], (name, status)
    cancel = spec["paths"]["/payments/{payment_id}/cancel"]["post"]["responses"]
    assert "payment_not_cancellable" in cancel["409"]["description"] and "Retry-After" in cancel["409"]["headers"]
    create = spec["paths"]["/payments"]["post"]["responses"]
    assert {"409", "422", "502", "503", "504"} <= set(create) and "Idempotent-Replayed" in create["201"]["headers"]


def test_every_event_type_is_a_webhook_with_its_payload_and_signature_headers():
    spec = json.loads(DOCUMENT.read_text())
    assert sorted(spec["webhooks"]) == sorted([*EVENT_TYPES, PING])
    for kind, item in spec["webhooks"].items():
        body = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body["properties"]["type"]["const"] == kind
        data = {"payment": "PaymentEvent", "refund": "RefundEvent", "webhook": "PingEvent"}[kind.split(".")[0]]
        assert body["properties"]["data"]["$ref"].endswith(data)
        headers = {param["name"] for param in item["post"]["parameters"]}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature", "Paygate-Correlation-Id"}


def test_the_document_holds_no_control_character():
    text = DOCUMENT.read_text()
    assert not [char for char in text if (ord(char) < 0x20 and char not in "\n") or 0x7F <= ord(char) <= 0x9F]


def test_two_models_never_share_a_schema_name():
    # The merge keeps one schema per name: a payment's attempts and a delivery's are different models.
    schemas = json.loads(DOCUMENT.read_text())["components"]["schemas"]
    assert "outcome" in schemas["Attempt"]["properties"]
    assert "latency_ms" in schemas["DeliveryAttempt"]["properties"]
