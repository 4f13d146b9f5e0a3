"""The API's OpenAPI document, merged from the routes of every API function (Powertools OpenAPIMerge), and
the JSON Schema of the events (paygate.events).

`python -m local.openapi` writes them to openapi.json and docs/events.schema.json; a test checks that the
files match the code."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

from local import template
from paygate import events

DOCUMENT = template.ROOT / "openapi.json"
EVENTS_SCHEMA = template.ROOT / "docs" / "events.schema.json"
SERVED_DOCUMENT = template.ROOT / "functions" / "docs" / "openapi.json"


SECURITY_SCHEMES: dict[str, Any] = {"apiKey": APIKey(name="X-API-Key", in_=APIKeyIn.header)}


def document() -> str:
    # The functions read their settings when imported; the document needs no table, bus or region.
    names = (
        "PAYMENTS_TABLE",
        "IDEMPOTENCY_TABLE",
        "EVENT_BUS_NAME",
        "WEBHOOK_ENDPOINTS_TABLE",
        "WEBHOOK_DELIVERIES_TABLE",
        "REFUNDS_TABLE",
        "ACCOUNTS_TABLE",
        "API_KEYS_TABLE",
        "EXPORTS_TABLE",
    )
    for name in (*names, "AWS_DEFAULT_REGION"):
        os.environ.setdefault(name, "openapi" if name != "AWS_DEFAULT_REGION" else "us-east-1")
    merged = OpenAPIMerge(
        title="Paygate",
        version="1.0.0",
        description="One payment API over IVPAY, Paygentic, NOWPayments and Payop.",
        security_schemes=SECURITY_SCHEMES,
        on_conflict="error",
    )
    for function in sorted({route.function for route in template.routes()}):
        template.handler(function)
        merged.add_schema(
            sys.modules[f"paygate_function_{function}"].app.get_openapi_schema(security_schemes=SECURITY_SCHEMES)
        )
    return merged.get_openapi_json_schema() + "\n"


def events_schema() -> str:
    return json.dumps(events.json_schema(), indent=2) + "\n"


if __name__ == "__main__":
    text = document()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text)
    else:
        # The docs function serves its own copy: a function ships only what is under its CodeUri.
        for path in (DOCUMENT, SERVED_DOCUMENT):
            path.write_text(text)
    EVENTS_SCHEMA.write_text(events_schema())
