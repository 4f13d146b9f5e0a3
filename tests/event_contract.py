"""Events checked against the published contract (docs/events/<type>.schema.json): a bus event's detail,
and a merchant webhook's data, against the schema of its type and version."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from local import event_schemas
from paygate.events import EVENT_TYPES, SCHEMA_VERSION


@cache
def validator(event_type: str) -> Draft202012Validator:
    schema = json.loads(event_schemas.path(event_type).read_text())
    return Draft202012Validator(schema, format_checker=FormatChecker())


def problems_of_detail(event_type: Any, detail: Any) -> list[str]:
    if event_type not in EVENT_TYPES:
        return [f"unknown event type {event_type!r}"]
    if not isinstance(detail, dict) or detail.get("version") != SCHEMA_VERSION:
        return [f"{event_type}: not version {SCHEMA_VERSION} of the contract: {detail!r:.200}"]
    return [
        f"{event_type} {detail.get('event_id')}: {error.json_path}: {error.message}"
        for error in validator(event_type).iter_errors(detail)
    ]


def bus_event_problems(event: dict) -> list[str]:
    if event.get("source") != "paygate":
        return [f"an event from {event.get('source')!r}"]
    return problems_of_detail(event.get("detail-type"), event.get("detail"))


def webhook_problems(body: str) -> list[str]:
    payload = json.loads(body)
    if set(payload) != {"type", "timestamp", "data"}:
        return [f"a webhook body with the fields {sorted(payload)}"]
    return problems_of_detail(payload["type"], payload["data"])
