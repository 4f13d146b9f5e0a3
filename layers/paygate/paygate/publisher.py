"""The only code that puts events on the PaymentEvents bus (its EventBridge client given in the constructor),
and what of the payments table's stream becomes an event."""

from __future__ import annotations

from typing import Any

from paygate.events import SOURCE, Detail, refund_changes, status_change
from paygate.store.payments import record_from_item


def events_of(stream_record: dict[str, Any]) -> list[Detail]:
    """The events of one record of the payments table's stream (its `dynamodb` part): the payment's
    status change, if it has one, then its refunds' (a refund lives on its payment's record)."""
    old_image, new_image = (stream_record.get(image) for image in ("OldImage", "NewImage"))
    old = record_from_item(old_image) if old_image else None
    new = record_from_item(new_image) if new_image else None
    payment = status_change(old, new)
    return [*([payment] if payment else []), *refund_changes(old, new)]


class EventPublisher:
    def __init__(self, client: Any, bus_name: str):
        self.client = client
        self.bus_name = bus_name

    def publish(self, event: Detail) -> None:
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
