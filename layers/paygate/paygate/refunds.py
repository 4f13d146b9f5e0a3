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
    """A refund's status, and the moves it may make (each one entry of its `history` and one event):

    - `pending`: sent to the payment's provider, not confirmed yet.
    - `requires_action`: manual (the provider has no refund API): the merchant gives the money back,
      then confirms it (`POST /refunds/{refund_id}/confirm`) or cancels it (`.../cancel`).
    - `succeeded` (final): the money was given back.
    - `failed` (final): the provider refused it, or has no record of it; its amount is refundable again.
    - `cancelled` (final): a manual refund the merchant gave up; its amount is refundable again.

    Moves: `pending` -> `succeeded` | `failed`; `requires_action` -> `succeeded` | `cancelled`. A final
    status never changes."""

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
    """One change of a refund's status."""

    status: RefundStatus = Field(description="The status the refund moved to", examples=["succeeded"])
    at: datetime = Field(description="When (RFC 3339, UTC)", examples=["2026-01-01T12:00:00Z"])
    source: RefundSource = Field(
        description="Who moved it: `api` (the merchant's call), `callback` (the provider's), `sync` (a status read)",
        examples=["callback"],
    )
    provider_status: str | None = Field(
        default=None, description="The provider's own word for the status, as it reported it", examples=["completed"]
    )
    note: str | None = Field(
        default=None, description="What the change was about, where it says more than its status", examples=[None]
    )


class Refund(BaseModel):
    """The Refund object of the API."""

    id: str = Field(description="Paygate's id of the refund", examples=["re_8b1d4e2f6a9c3b7d5e0f1a2b"])
    object: Literal["refund"] = Field(default="refund", description="Always `refund`", examples=["refund"])
    payment_id: str = Field(description="The payment it gives money back on", examples=["pay_3f9c2a7d1e5b4c8a9f0e1d2c"])
    status: RefundStatus = Field(
        description="Where it is in its status machine (see RefundStatus)", examples=["pending"]
    )
    amount: str = Field(description="What it gives back, a decimal string in `currency`", examples=["4.00"])
    currency: str = Field(description="Its payment's currency (ISO 4217)", examples=["USD"])
    reason: str | None = Field(
        default=None, description="Why, as the merchant wrote it", examples=["The customer returned one ticket"]
    )
    metadata: dict[str, str] = Field(
        default_factory=dict,
        description="The merchant's own key-value pairs, kept and given back as they were sent",
        examples=[{"ticket": "t_7"}],
    )
    livemode: bool = Field(default=True, description="As its payment's: false for test money", examples=[True])
    manual: bool = Field(
        default=False,
        description=(
            "True when its payment's provider has no refund API: the merchant gives the money back and confirms it here"
        ),
        examples=[False],
    )
    provider: str | None = Field(default=None, description="Its payment's provider", examples=["sandbox"])
    provider_refund_id: str | None = Field(
        default=None, description="The provider's own id of the refund", examples=["sbx_re_91a2b3"]
    )
    external_reference: str | None = Field(
        default=None,
        description="The merchant's proof of a manual refund (a transaction hash, a bank reference)",
        examples=[None],
    )
    failure_reason: str | None = Field(default=None, description="Why it failed (`failed`)", examples=[None])
    # What the provider charges for the refund and what leaves the merchant's balance for it, in
    # `settlement_currency`, where it reports them (no provider here does yet: null, never a guess).
    fee: str | None = Field(
        default=None, description="The provider's fee for this refund, where it reports one", examples=["0.30"]
    )
    net: str | None = Field(
        default=None,
        description="What the refund takes from the merchant's balance, where the provider reports it",
        examples=["10.30"],
    )
    settlement_currency: str | None = Field(
        default=None, description="The currency of `fee` and `net`", examples=["USD"]
    )
    created_at: datetime = Field(description="When it was created (RFC 3339, UTC)", examples=["2026-01-01T12:00:00Z"])
    updated_at: datetime = Field(description="When it last changed (RFC 3339, UTC)", examples=["2026-01-01T12:00:00Z"])
    history: list[RefundChange] = Field(
        default_factory=list, description="Its status changes, oldest first (the last 20)", examples=[[]]
    )


Reason = Annotated[str, StringConstraints(max_length=500), NO_CONTROL, TEXT_SCHEMA]
ExternalReference = Annotated[str, StringConstraints(min_length=1, max_length=255), NO_CONTROL, TEXT_SCHEMA]


class CreateRefundRequest(Strict):
    """The body of POST /payments/{payment_id}/refunds. Every field is optional: an empty body refunds
    all that remains."""

    amount: Amount | None = Field(
        default=None,
        description=(
            "What to give back, a decimal string in the payment's currency: at most what remains refundable; all of "
            "it when omitted"
        ),
        examples=["4.00"],
    )
    reason: Reason | None = Field(
        default=None,
        description="Why (kept on the refund, sent to the provider where it takes one)",
        examples=["The customer returned one ticket"],
    )
    metadata: Metadata | None = Field(
        default=None,
        description=(
            "Your own key-value pairs (at most 50; keys up to 40 characters, values up to 500), given back as they "
            "were sent"
        ),
        examples=[{"ticket": "t_7"}],
    )


class ConfirmRefundRequest(Strict):
    """The body of POST /refunds/{refund_id}/confirm: the merchant gave the money back."""

    external_reference: ExternalReference = Field(
        description="Your proof that the money was given back: a transaction hash, a bank reference",
        examples=["0x5f2c9a1e7b3d4c6e8f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e"],
    )


class RefundList(BaseModel):
    """A payment's refunds."""

    object: Literal["list"] = Field(default="list", description="Always `list`", examples=["list"])
    data: list[Refund] = Field(description="The payment's refunds, newest first", examples=[[]])


def new_refund_id() -> str:
    return "re_" + secrets.token_hex(12)
