"""The API's OpenAPI document, merged from the routes of every API function (Powertools OpenAPIMerge).

`python -m local.openapi` writes it to openapi.json; a test checks that the file matches the code."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

from local import template

DOCUMENT = template.ROOT / "openapi.json"


SECURITY_SCHEMES: dict[str, Any] = {"apiKey": APIKey(name="X-API-Key", in_=APIKeyIn.header)}


def document() -> str:
    # The functions read their settings when imported; the document needs no table, bus or region.
    names = (
        "PAYMENTS_TABLE",
        "IDEMPOTENCY_TABLE",
        "EVENT_BUS_NAME",
        "WEBHOOK_ENDPOINTS_TABLE",
        "WEBHOOK_DELIVERIES_TABLE",
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


if __name__ == "__main__":
    Path(sys.argv[1] if len(sys.argv) > 1 else DOCUMENT).write_text(document())
