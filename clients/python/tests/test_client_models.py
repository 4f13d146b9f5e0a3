"""The client's models against the gateway's OpenAPI document (openapi.json at the repository's root): each
model has exactly its schema's properties, requires exactly what the schema requires, and allows exactly
the values of the schema's enumerations."""

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

# Every response object the client reads, by the schema it mirrors (the same name).
MODELS: list[type[BaseModel]] = [
    models.Attempt,
    models.HistoryEntry,
    models.Payment,
    models.PaymentList,
    models.RefundChange,
    models.Refund,
    models.RefundList,
    models.PaymentMethod,
    models.PaymentMethodList,
    models.WebhookEndpoint,
    models.EndpointList,
    models.Deleted,
    models.Delivery,
    models.DeliveryList,
    models.Account,
    models.ApiKey,
    models.ApiKeyList,
]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def enum_of(schema: dict[str, Any]) -> set[str] | None:
    """The values a property allows when it is an enumeration (or a constant), through refs, nulls, arrays."""
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


def literals_of(annotation: Any) -> set[str] | None:
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    for argument in typing.get_args(annotation):
        if (found := literals_of(argument)) is not None:
            return found
    return None


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_model_has_the_schemas_fields_and_requiredness(model: type[BaseModel]) -> None:
    schema = SCHEMAS[model.__name__]
    assert set(model.model_fields) == set(schema["properties"])
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    assert required == set(schema.get("required", []))


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_model_allows_the_schemas_enumerations(model: type[BaseModel]) -> None:
    for name, prop in SCHEMAS[model.__name__]["properties"].items():
        assert literals_of(model.model_fields[name].annotation) == enum_of(prop), name


def test_every_response_schema_of_the_api_is_modelled() -> None:
    """A new object in the API's answers needs its model here."""
    answered = set()
    for operations in DOCUMENT["paths"].values():
        for operation in operations.values():
            for response in operation["responses"].values():
                ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
                if ref:
                    answered.add(ref.rsplit("/", 1)[1])
    # The error shape is read by the exceptions; Received is the answer to a provider's callback.
    errors = {name for name in answered if "error" in SCHEMAS[name].get("properties", {})}
    answered -= errors | {"HTTPValidationError", "Received"}
    assert answered <= {model.__name__ for model in MODELS}
