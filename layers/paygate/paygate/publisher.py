"""The only code that puts events on the PaymentEvents bus (its EventBridge client given in the constructor),
and what of the payments table's stream becomes an event."""

from __future__ import annotations

from typing import Any

from paygate.events import SOURCE, PaymentEvent, status_change
from paygate.store.payments import record_from_item


def event_of(stream_record: dict[str, Any]) -> PaymentEvent | None:
    """The event of one record of the payments table's stream (its `dynamodb` part), if it tells one."""
    old, new = (stream_record.get(image) for image in ("OldImage", "NewImage"))
    return status_change(record_from_item(old) if old else None, record_from_item(new) if new else None)


class EventPublisher:
    def __init__(self, client: Any, bus_name: str):
        self.client = client
        self.bus_name = bus_name

    def publish(self, event: PaymentEvent) -> None:
        answer = self.client.put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": event.type,
                    "Detail": event.model_dump_json(),
                    "EventBusName": self.bus_name,
                }
            ]
        )
        if answer.get("FailedEntryCount"):
            entry = answer["Entries"][0]
            raise RuntimeError(
                f"EventBridge refused {event.event_id}: {entry.get('ErrorCode')} {entry.get('ErrorMessage')}"
            )
