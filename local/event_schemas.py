"""One JSON Schema per event type, generated from the event contract (paygate.events): the `detail` of the
bus event of that `detail-type`, which is also the `data` of the merchant webhook of that `type`.

`python -m local.event_schemas` writes them to docs/events/<type>.schema.json (`make openapi` does); a test
checks that the files match the code, and the end-to-end suite validates every event it causes against
them. Closed objects: a field the contract does not name fails the schema, so nothing leaves the gateway
undocumented."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from local import template
from paygate.events import EVENT_TYPES, MEANINGS, SCHEMA_VERSION, EventType, PaymentEvent, RefundEvent

DIRECTORY = template.ROOT / "docs" / "events"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def path(event_type: str) -> Path:
    return DIRECTORY / f"{event_type}.schema.json"


def schema(event_type: EventType) -> dict[str, Any]:
    """The detail of `event_type`: its model's schema, with what the type pins (the status it reports, the
    refund's creation) stated as constants."""
    subject, _, status = event_type.partition(".")
    model = RefundEvent if subject == "refund" else PaymentEvent
    generated = model.model_json_schema(mode="serialization")
    properties = generated["properties"]
    if event_type != "refund.created":
        properties[subject] = {"allOf": [properties[subject], {"properties": {"status": {"const": status}}}]}
    if subject == "refund":
        properties["created"] = {**properties["created"], "const": event_type == "refund.created"}
    for definition in [generated, *generated.get("$defs", {}).values()]:
        if "properties" in definition:
            definition.setdefault("additionalProperties", False)
    return {
        "$schema": DIALECT,
        **generated,
        "title": f"{event_type} (version {SCHEMA_VERSION})",
        "description": MEANINGS[event_type],
    }


def files() -> dict[Path, str]:
    return {path(event_type): json.dumps(schema(event_type), indent=2) + "\n" for event_type in EVENT_TYPES}


def write(directory: Path = DIRECTORY) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.schema.json"):
        stale.unlink()
    for file, text in files().items():
        (directory / file.name).write_text(text)


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else DIRECTORY)
