"""Events to other services: one on the PaymentEvents bus for every status change, from the table's stream.

Consumers dedupe on `event_id` (payment id and version) and order by `sequence` (the version)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from paygate.models import Status
from paygate.store import record_from_item

SOURCE = "paygate"


class PaymentEvent(BaseModel):
    event_id: str
    sequence: int
    previous_status: Status | None
    # The merchant account the payment belongs to, so consumers can route per merchant.
    account_id: str | None
    payment: dict[str, Any]

    @property
    def detail_type(self) -> str:
        return f"payment.{self.payment['status']}"


def status_change(old_image: dict | None, new_image: dict | None) -> PaymentEvent | None:
    """The event for one stream record: an INSERT, or a MODIFY whose status differs; else None."""
    if not new_image:
        return None  # a removal is not a status change
    new = record_from_item(new_image)
    old = record_from_item(old_image) if old_image else None
    if old is not None and old.status == new.status:
        return None
    return PaymentEvent(
        event_id=f"{new.id}:{new.version}",
        sequence=new.version,
        previous_status=old.status if old else None,
        account_id=new.account_id,
        payment=new.public().model_dump(mode="json"),
    )


class EventPublisher:
    """Puts events on the bus; takes its EventBridge client in the constructor."""

    def __init__(self, client: Any, bus_name: str):
        self.client = client
        self.bus_name = bus_name

    def publish(self, event: PaymentEvent) -> None:
        answer = self.client.put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": event.detail_type,
                    "Detail": json.dumps(event.model_dump(mode="json")),
                    "EventBusName": self.bus_name,
                }
            ]
        )
        if answer.get("FailedEntryCount"):
            entry = answer["Entries"][0]
            raise RuntimeError(
                f"EventBridge refused {event.event_id}: {entry.get('ErrorCode')} {entry.get('ErrorMessage')}"
            )
