"""The event contract: what Paygate tells other services about every payment and refund change, in one
place.

Every change of a payment's status (and its creation) is one `PaymentEvent`, every change of a refund's
one `RefundEvent` (and its creation `refund.created`): the bus event's `detail` (its `detail-type` is
the event type), and, wrapped in a `WebhookPayload`, the body of every merchant webhook. The publisher,
the webhook fan-out and the tests all read and write these models, and docs/events.schema.json is
generated from them (`make openapi`; a test fails when it is stale).

Consumers dedupe on `event_id` and order by `sequence` (the payment's version, which a refund's change
also moves): delivery is at least once. Pydantic only, no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from paygate.accounts.models import Merchant
from paygate.models import Payment, PaymentRecord, Status
from paygate.refunds import Refund, RefundStatus

SOURCE: Literal["paygate"] = "paygate"
EventType = Literal[
    "payment.pending",
    "payment.processing",
    "payment.partially_paid",
    "payment.succeeded",
    "payment.failed",
    "payment.expired",
    "payment.cancelled",
    "refund.created",
    "refund.requires_action",
    "refund.succeeded",
    "refund.failed",
    "refund.cancelled",
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)
# The version of the events' schema (docs/events/): an additive change (a new optional field, a new type)
# keeps it; a breaking one publishes the next version beside this one for a documented period.
SCHEMA_VERSION: Literal["1"] = "1"
# What each type tells, for the schemas and the documentation.
MEANINGS: dict[EventType, str] = {
    "payment.pending": "A payment became payable: written waiting for the customer's choice on the hosted page "
    "(`provider: null`), or taken by a provider (its `provider_payment_id` and `payment_url` set).",
    "payment.processing": "The provider saw the customer pay; the money is not final yet.",
    "payment.partially_paid": "Less than the amount arrived; the payment waits for the rest or the merchant's accept.",
    "payment.succeeded": "The money arrived in full (or the merchant accepted less). Final, except refunds.",
    "payment.failed": "The payment cannot be paid any more (the provider refused it, or no provider took it).",
    "payment.expired": "Nobody paid before `expires_at`.",
    "payment.cancelled": "The merchant cancelled it before it was paid.",
    "refund.created": "A refund was asked for (it is `pending` at its provider, or `requires_action`).",
    "refund.requires_action": "A manual refund: the merchant gives the money back and confirms it.",
    "refund.succeeded": "The money went back to the customer.",
    "refund.failed": "The refund could not be made; the money it held is refundable again.",
    "refund.cancelled": "The merchant cancelled a manual refund.",
}


def event_type(status: Status | RefundStatus) -> EventType:
    """The event type of a payment or refund that reached `status` (one per status; a refund `pending` at
    its provider tells nothing new after `refund.created`)."""
    return cast(EventType, f"{'refund' if isinstance(status, RefundStatus) else 'payment'}.{status.value}")


class PaymentEvent(BaseModel):
    """A payment's change: the bus event's `detail`, and the `data` of a merchant webhook."""

    # Every field is always sent, so the schema requires each (a consumer may rely on it).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    version: Literal["1"] = Field(default=SCHEMA_VERSION, description="The version of this event's schema")
    event_id: str = Field(description="`<payment id>:<version>`: the same change always has the same id")
    sequence: int = Field(description="The payment's version: a later change of one payment has a higher one")
    previous_status: Status | None = Field(
        description="The status before the change; null when the event announces the payment (`payment.pending`)"
    )
    account_id: str | None = Field(description="The merchant account the payment belongs to")
    livemode: bool = Field(default=True, description="False for test money (a payment made with a test key)")
    correlation_id: str | None = Field(
        default=None, description="The id of the request or job that caused the change (also in logs and traces)"
    )
    payment: Payment

    @property
    def type(self) -> EventType:
        return event_type(self.payment.status)


class RefundEvent(BaseModel):
    """A refund's creation or change: the bus event's `detail`, and the `data` of a merchant webhook."""

    # Every field is always sent, so the schema requires each (a consumer may rely on it).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    version: Literal["1"] = Field(default=SCHEMA_VERSION, description="The version of this event's schema")
    event_id: str = Field(description="`<refund id>:<payment version>`, or `<refund id>:created`")
    sequence: int = Field(description="The refund's payment's version: a later change has a higher one")
    previous_status: RefundStatus | None = Field(description="The status before the change; null for a new refund")
    account_id: str | None = Field(description="The merchant account the refund's payment belongs to")
    livemode: bool = Field(default=True, description="False for test money (a refund made with a test key)")
    correlation_id: str | None = Field(
        default=None, description="The id of the request or job that caused the change (also in logs and traces)"
    )
    payment_id: str
    refund: Refund
    created: bool = Field(default=False, description="The event of the refund's creation (`refund.created`)")

    @property
    def type(self) -> EventType:
        return cast(EventType, "refund.created") if self.created else event_type(self.refund.status)


Detail = PaymentEvent | RefundEvent


class BusEvent(BaseModel):
    """An event as EventBridge hands it to a target (the webhook queue): its envelope around the detail."""

    model_config = ConfigDict(populate_by_name=True)

    id: str | None = None
    source: Literal["paygate"] = SOURCE
    detail_type: EventType = Field(alias="detail-type")
    time: datetime
    detail: Detail


class WebhookPayload(BaseModel):
    """The body of a merchant webhook (Standard Webhooks: `type`, `timestamp`, `data`)."""

    type: EventType
    timestamp: datetime
    data: Detail

    @classmethod
    def of(cls, event: BusEvent) -> WebhookPayload:
        return cls(type=event.detail_type, timestamp=event.time, data=event.detail)


def status_change(old: PaymentRecord | None, new: PaymentRecord | None) -> PaymentEvent | None:
    """The event of one write: a status that differs from the one before, or a pending payment that became
    payable; else None (a write that changes neither tells nothing new)."""
    if new is None:
        return None  # a removal is not a status change
    moved = old is not None and old.status != new.status
    if not moved and not _became_payable(old, new):
        return None
    return PaymentEvent(
        event_id=f"{new.id}:{new.version}",
        sequence=new.version,
        previous_status=old.status if old and moved else None,
        account_id=_account(new),
        livemode=new.livemode,
        correlation_id=new.correlation_id,
        payment=new.public(),
    )


def _became_payable(old: PaymentRecord | None, new: PaymentRecord) -> bool:
    """A new payment waiting for the customer's choice (its hosted page is its page), or one a provider has
    just taken (its id and page known). The write-ahead record of a provider not yet answered is neither:
    a consumer never hears of a payment without a page to pay it on."""
    if old is None and new.status is not Status.PENDING:
        return True  # written in another status: every new payment is told once
    if new.status is not Status.PENDING:
        return False
    if old is None and new.provider is None:
        return True
    return new.provider_payment_id is not None and (old is None or old.provider_payment_id is None)


def _account(record: PaymentRecord) -> str | None:
    """The account itself, not the scope its payments are kept under (its mode is `livemode`)."""
    return Merchant.of_scope(record.account_id).account_id if record.account_id else None


def refund_changes(old: PaymentRecord | None, new: PaymentRecord | None) -> list[RefundEvent]:
    """The refund events of one write of a payment: each refund it adds (`refund.created`, and
    `refund.requires_action` for a manual one), and each whose status it moves."""
    if new is None:
        return []
    before = {refund.id: refund for refund in (old.refunds if old else [])}
    found = []
    for refund in new.refunds:
        previous = before.get(refund.id)
        base = {
            "sequence": new.version,
            "account_id": _account(new),
            "livemode": new.livemode,
            "correlation_id": new.correlation_id,
            "payment_id": new.id,
            "refund": refund,
        }
        if previous is None:
            found.append(RefundEvent(event_id=f"{refund.id}:created", previous_status=None, created=True, **base))
        if refund.status is not RefundStatus.PENDING and (previous is None or previous.status is not refund.status):
            was = previous.status if previous else None
            found.append(RefundEvent(event_id=f"{refund.id}:{new.version}", previous_status=was, **base))
    return found


def json_schema() -> dict[str, Any]:
    """The contract as JSON Schema: the bus event and the webhook body, with everything they hold."""
    _, schema = models_json_schema(
        [(BusEvent, "serialization"), (WebhookPayload, "serialization")],
        title="Paygate events",
        description="Every payment change, as the PaymentEvents bus carries it and as merchant webhooks send it.",
    )
    return schema
