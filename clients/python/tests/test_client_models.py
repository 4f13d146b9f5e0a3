"""The client's models against the gateway's OpenAPI document (openapi.json at the repository's root). Each
operation's answer schema is found from the operation itself (whatever the document names it) and compared
with the model the client reads it into, nested objects included: exactly the schema's properties, required
exactly where the schema requires them, and each closed set of values exactly the schema's enumeration."""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from paygate_client import models

DOCUMENT = json.loads((Path(__file__).parents[3] / "openapi.json").read_text())
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]

# What the client reads each operation's answer into.
ANSWERS: dict[tuple[str, str], type[BaseModel]] = {
    ("post", "/payments"): models.Payment,
    ("get", "/payments"): models.PaymentList,
    ("get", "/payments/{payment_id}"): models.Payment,
    ("post", "/payments/{payment_id}/cancel"): models.Payment,
    ("post", "/payments/{payment_id}/accept"): models.Payment,
    ("post", "/payments/{payment_id}/refunds"): models.Refund,
    ("get", "/payments/{payment_id}/refunds"): models.RefundList,
    ("get", "/refunds/{refund_id}"): models.Refund,
    ("post", "/refunds/{refund_id}/confirm"): models.Refund,
    ("post", "/refunds/{refund_id}/cancel"): models.Refund,
    ("get", "/payment-methods"): models.PaymentMethodList,
    ("post", "/webhook-endpoints"): models.WebhookEndpoint,
    ("get", "/webhook-endpoints"): models.EndpointList,
    ("get", "/webhook-endpoints/{endpoint_id}"): models.WebhookEndpoint,
    ("delete", "/webhook-endpoints/{endpoint_id}"): models.Deleted,
    ("patch", "/webhook-endpoints/{endpoint_id}"): models.WebhookEndpoint,
    ("post", "/webhook-endpoints/{endpoint_id}/test"): models.Delivery,
    ("post", "/webhook-endpoints/{endpoint_id}/rotate-secret"): models.WebhookEndpoint,
    ("get", "/webhook-endpoints/{endpoint_id}/deliveries"): models.DeliveryList,
    ("post", "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry"): models.Delivery,
    ("get", "/account"): models.Account,
    ("patch", "/account"): models.Account,
    ("get", "/api-keys"): models.ApiKeyList,
    ("post", "/api-keys"): models.ApiKey,
    ("post", "/api-keys/{key_id}/revoke"): models.ApiKey,
    ("post", "/api-keys/{key_id}/roll"): models.ApiKey,
    ("post", "/exports"): models.Export,
    ("get", "/exports/{export_id}"): models.Export,
    ("post", "/reconciliations"): models.Reconciliation,
    ("get", "/reconciliations/differences"): models.DifferenceList,
}
# Operations the client does not call: a provider's callback, and the customer's HTML checkout page.
# A provider's callbacks, and the hosted checkout page's own (its page, its form, the status its script reads).
NOT_CALLED = {
    ("post", "/ipn/{provider}"),
    ("get", "/checkout/{token}"),
    ("post", "/checkout/{token}"),
    ("get", "/checkout/{token}/status"),
}
OPERATIONS = {
    (method, path)
    for path, methods in DOCUMENT["paths"].items()
    for method in methods
    if method in {"get", "post", "put", "patch", "delete"}
}


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def is_error_shape(schema: dict[str, Any]) -> bool:
    """The one error shape (`{"error": {...}}`), or the validation error the document gave errors before."""
    properties = resolve(schema).get("properties", {})
    return "error" in properties or "detail" in properties


def answer_schema(method: str, path: str) -> dict[str, Any]:
    """The object an operation answers with when it succeeds: every JSON answer not in the error shape."""
    found = []
    for response in DOCUMENT["paths"][path][method]["responses"].values():
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema and not is_error_shape(schema):
            found.append(resolve(schema))
    assert found, f"{method} {path} documents no answer"
    assert all(schema == found[0] for schema in found), f"{method} {path} documents several answers"
    return found[0]


def object_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The object schema within a property's (through refs, nullable unions and arrays)."""
    schema = resolve(schema)
    if "properties" in schema:
        return schema
    for option in schema.get("anyOf", []):
        if (found := object_schema(option)) is not None:
            return found
    if schema.get("type") == "array":
        return object_schema(schema.get("items", {}))
    return None


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The model within a field's type (through unions and lists)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        if (found := model_in(argument)) is not None:
            return found
    return None


def enum_of(schema: dict[str, Any]) -> set[Any] | None:
    """The values a property allows when it is an enumeration or a constant."""
    schema = resolve(schema)
    if "enum" in schema:
        return set(schema["enum"])
    if "const" in schema:
        return {schema["const"]}
    for option in schema.get("anyOf", []):
        if (found := enum_of(option)) is not None:
            return found
    if schema.get("type") == "array":
        return enum_of(schema.get("items", {}))
    return None


def literals_of(annotation: Any) -> set[Any] | None:
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    for argument in typing.get_args(annotation):
        if (found := literals_of(argument)) is not None:
            return found
    return None


def differences(model: type[BaseModel], schema: dict[str, Any], where: str) -> list[str]:
    """How a model and its schema disagree, the nested models' included; nothing when they agree."""
    found = []
    properties = schema["properties"]
    if set(model.model_fields) != set(properties):
        found.append(f"{where}: fields {sorted(model.model_fields)} != properties {sorted(properties)}")
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    if required != set(schema.get("required", [])):
        found.append(f"{where}: requires {sorted(required)}, the document {sorted(schema.get('required', []))}")
    for name in set(model.model_fields) & set(properties):
        annotation, prop = model.model_fields[name].annotation, properties[name]
        # A closed set in the model must be the document's: a value it lacks would fail a valid answer. (A
        # plain string in the model reads any value of an enumeration.)
        if literals_of(annotation) is not None and literals_of(annotation) != enum_of(prop):
            found.append(f"{where}.{name}: allows {literals_of(annotation)}, the document {enum_of(prop)}")
        nested, nested_schema = model_in(annotation), object_schema(prop)
        if (nested is None) != (nested_schema is None):
            found.append(f"{where}.{name}: an object in only one of the model and the document")
        elif nested is models.PaymentAttempt and nested_schema and "latency_ms" in nested_schema["properties"]:
            # The document once gave a payment's attempts a webhook delivery's attempt schema (two server
            # models named Attempt); the client reads what the gateway sends. Compared once they differ.
            continue
        elif nested is not None and nested_schema is not None:
            found.extend(differences(nested, nested_schema, f"{where}.{name}"))
    return found


# The client may know an operation a gateway does not offer yet: only what the document has is compared.
@pytest.mark.parametrize(("method", "path"), sorted(set(ANSWERS) & OPERATIONS), ids=lambda part: str(part))
def test_the_model_of_each_answer_is_its_schema(method: str, path: str) -> None:
    model = ANSWERS[(method, path)]
    assert differences(model, answer_schema(method, path), model.__name__) == []


def test_every_operation_of_the_document_is_read_by_the_client() -> None:
    """A new operation in the API needs its method (and model) in the client."""
    assert set(ANSWERS) >= OPERATIONS - NOT_CALLED


def test_differences_are_found() -> None:
    """The comparison itself: a field missing, one too many, a requiredness and an enumeration changed."""
    schema = answer_schema("get", "/refunds/{refund_id}")
    assert differences(models.Refund, schema, "Refund") == []
    fewer = {**schema, "properties": {k: v for k, v in schema["properties"].items() if k != "reason"}}
    assert differences(models.Refund, fewer, "Refund")
    required = {**schema, "required": [*schema["required"], "reason"]}
    assert differences(models.Refund, required, "Refund")
    statuses = {**schema["properties"], "status": {"type": "string", "enum": ["pending", "succeeded"]}}
    assert differences(models.Refund, {**schema, "properties": statuses}, "Refund")
