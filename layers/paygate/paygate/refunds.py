"""Refunds: money given back on a payment. A Refund is a resource of its own, never a payment status; it
lives on its payment's record (so reserving its amount and recording it are one versioned write) and is
found by its id through a pointer (paygate.store.refunds). Pydantic only, no I/O."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from paygate.fields import NO_CONTROL, TEXT_SCHEMA, Amount, Metadata, Strict

# A payment holds at most this many refunds (its record stays small; a merchant refunding more often than
# this refunds what remains in one).
MAX_REFUNDS = 50
# A refund keeps its last changes, as a payment does.
REFUND_HISTORY_LIMIT = 20


class RefundStatus(StrEnum):
    PENDING = "pending"  # sent to the provider, not confirmed yet
    REQUIRES_ACTION = "requires_action"  # manual: the merchant gives the money back and confirms it
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (RefundStatus.SUCCEEDED, RefundStatus.FAILED, RefundStatus.CANCELLED)

    @property
    def holds_money(self) -> bool:
        """Whether a refund in this status counts against what is refundable (given back, or on its way)."""
        return self in (RefundStatus.PENDING, RefundStatus.REQUIRES_ACTION, RefundStatus.SUCCEEDED)


# Who moved a refund: the merchant's API call, a provider's callback, or a status read.
RefundSource = Literal["api", "callback", "sync"]


class RefundChange(BaseModel):
    status: RefundStatus
    at: datetime
    source: RefundSource
    provider_status: str | None = None
    note: str | None = None


class Refund(BaseModel):
    """The Refund object of the API."""

    id: str
    object: Literal["refund"] = "refund"
    payment_id: str
    status: RefundStatus
    amount: str
    currency: str
    reason: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    # As its payment's: False for test money.
    livemode: bool = True
    # No refund API at the payment's provider: the merchant gives the money back and confirms it here.
    manual: bool = False
    provider: str | None = None
    provider_refund_id: str | None = None
    # The merchant's proof of a manual refund (a transaction hash, a bank reference).
    external_reference: str | None = None
    failure_reason: str | None = None
    # What the provider charges for the refund and what leaves the merchant's balance for it, in
    # `settlement_currency`, where it reports them (no provider here does yet: null, never a guess).
    fee: str | None = Field(
        default=None, description="The provider's fee for this refund, where it reports one.", examples=["0.30"]
    )
    net: str | None = Field(
        default=None,
        description="What the refund takes from the merchant's balance, where the provider reports it.",
        examples=["10.30"],
    )
    settlement_currency: str | None = Field(
        default=None, description="The currency of `fee` and `net`.", examples=["USD"]
    )
    created_at: datetime
    updated_at: datetime
    history: list[RefundChange] = Field(default_factory=list)


Reason = Annotated[str, StringConstraints(max_length=500), NO_CONTROL, TEXT_SCHEMA]
ExternalReference = Annotated[str, StringConstraints(min_length=1, max_length=255), NO_CONTROL, TEXT_SCHEMA]


class CreateRefundRequest(Strict):
    """The body of POST /payments/{payment_id}/refunds. Every field is optional: an empty body refunds
    all that remains."""

    # At most what remains refundable; what remains when omitted.
    amount: Amount | None = None
    reason: Reason | None = None
    metadata: Metadata | None = None


class ConfirmRefundRequest(Strict):
    """The body of POST /refunds/{refund_id}/confirm: the merchant gave the money back."""

    external_reference: ExternalReference


class RefundList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Refund]


def new_refund_id() -> str:
    return "re_" + secrets.token_hex(12)
