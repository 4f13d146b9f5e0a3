"""Reconciliation's data: a run's window and outcome, and a Difference, what it found and could not
repair. Pydantic only, no I/O (paygate.lifecycle.reconcile runs it, paygate.store.differences keeps it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from paygate.fields import Strict
from paygate.models import Status

# A run covers at most this much: a day's scheduled run covers one, a merchant may look back a month.
LONGEST_WINDOW = timedelta(days=31)

DifferenceKind = Literal[
    "amount_mismatch",  # the provider holds another price for the payment
    "currency_mismatch",  # another currency than the payment's (its price, or what was paid)
    "unreadable_amount",  # the provider reports money received without an amount that can be read
    "status_refused",  # the provider's status is one the status machine does not take from Paygate's
    "unknown_status",  # the provider's status is none Paygate knows
    "unknown_payment",  # the provider lists a payment Paygate has no record of
]


class ReconciliationRequest(Strict):
    """POST /reconciliations: the caller's payments at one provider, created in [created_gte, created_lt)."""

    provider: str = Field(
        min_length=1, max_length=32, description="The provider whose payments to reconcile", examples=["sandbox"]
    )
    created_gte: datetime = Field(
        strict=False, description="Created at or after (RFC 3339, with its offset)", examples=["2026-12-01T00:00:00Z"]
    )
    created_lt: datetime = Field(
        strict=False, description="Created before (RFC 3339, with its offset)", examples=["2026-12-02T00:00:00Z"]
    )

    @model_validator(mode="after")
    def _window(self) -> ReconciliationRequest:
        if self.created_gte.tzinfo is None or self.created_lt.tzinfo is None:
            raise PydanticCustomError("validation_error", "created_gte, created_lt: give the UTC offset")
        try:
            self.created_gte, self.created_lt = self.created_gte.astimezone(UTC), self.created_lt.astimezone(UTC)
        except OverflowError:
            message = "created_gte, created_lt: beyond the years 1 to 9999"
            raise PydanticCustomError("validation_error", message) from None
        if not timedelta(0) < self.created_lt - self.created_gte <= LONGEST_WINDOW:
            raise PydanticCustomError("validation_error", "created_lt: after created_gte, and at most 31 days after it")
        return self


class Difference(BaseModel):
    """What reconciliation found at a provider and could not repair through the status machine."""

    id: str = Field(
        description="The same id whenever a run finds the same difference again",
        examples=["dif_8c1f0a7e2b9d4c6a1e3f5b7d"],
    )
    object: Literal["reconciliation_difference"] = Field(
        default="reconciliation_difference", description="Always `reconciliation_difference`"
    )
    provider: str = Field(description="The provider it was found at", examples=["sandbox"])
    kind: DifferenceKind = Field(
        description="amount_mismatch, currency_mismatch, unreadable_amount (the provider's money), status_refused, "
        "unknown_status (its status), unknown_payment (a payment Paygate has no record of)",
        examples=["amount_mismatch"],
    )
    payment_id: str | None = Field(default=None, description="Paygate's payment, null for a payment it does not know")
    provider_payment_id: str | None = Field(
        default=None, description="The provider's id of the payment", examples=["sbx_4147c4f8f6d562ef"]
    )
    status: Status | None = Field(default=None, description="The payment's status at Paygate when it was found")
    provider_status: str | None = Field(default=None, description="The provider's own status for it")
    detail: str = Field(
        description="What differs, in words",
        examples=["price mismatch: the provider holds 99.00 USD, the payment is 10.50 USD"],
    )
    livemode: bool = Field(default=True, description="False for a payment of test mode")
    found_at: datetime = Field(description="When a run first found it")
    seen_at: datetime = Field(description="When a run last found it")


class DifferenceList(BaseModel):
    """A page of differences; ask again with `starting_after=<next_starting_after>` while `has_more`."""

    object: Literal["list"] = Field(default="list", description="Always `list`")
    data: list[Difference] = Field(description="This page's differences, in the order of their ids")
    has_more: bool = Field(description="Whether there may be more after this page")
    next_starting_after: str | None = Field(
        default=None, description="Where the next page starts: pass it as `starting_after`"
    )


class Reconciliation(BaseModel):
    """What one run did: the payments it asked the provider about, those it repaired (each with a `sync`
    entry in its history), the differences it recorded, and whether it covered the whole window (false:
    time ran short; run it again, or a narrower window)."""

    object: Literal["reconciliation"] = Field(default="reconciliation", description="Always `reconciliation`")
    provider: str = Field(description="The provider reconciled", examples=["sandbox"])
    created_gte: datetime = Field(description="The window's start (UTC), included")
    created_lt: datetime = Field(description="The window's end (UTC), excluded")
    method: Literal["status_checks"] = Field(
        default="status_checks", description="How the provider's side was read: a status call per open payment"
    )
    checked: int = Field(default=0, description="Payments whose provider answered their status call")
    repaired: int = Field(default=0, description="Payments the provider's answer moved (a `sync` history entry)")
    differences: int = Field(default=0, description="Differences recorded (GET /reconciliations/differences)")
    unreachable: int = Field(
        default=0, description="Payments that could not be checked, their status call failed (the next run asks again)"
    )
    complete: bool = Field(default=True, description="False when time ran short before the whole window")
