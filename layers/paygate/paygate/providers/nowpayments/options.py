"""What a merchant may ask of NOWPayments beyond the common fields (`provider_options.nowpayments`)."""

from __future__ import annotations

from pydantic import Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from paygate.fields import Identifier, Strict, Ticker


class NowPaymentsOptions(Strict):
    """NOWPayments' optional create fields (`POST /v1/payment`)."""

    is_fixed_rate: StrictBool | None = Field(
        default=None,
        description="Freeze the exchange rate for 20 minutes; the payment expires if nothing arrives in that time",
        examples=[True],
    )
    is_fee_paid_by_user: StrictBool | None = Field(
        default=None,
        description="The customer pays the network and service fees; forces a fixed rate",
        examples=[False],
    )
    payout_address: Identifier | None = Field(
        default=None,
        description=(
            "Send the funds to this address instead of the account's own, in `payout_currency` (required with it)"
        ),
        examples=["TQ8f1y6u7Ri1oFqKSzYx2L9fWJ3bVzZk9m"],
    )
    payout_currency: Ticker | None = Field(
        default=None, description="The coin of `payout_address`", examples=["usdttrc20"]
    )
    payout_extra_id: Identifier | None = Field(
        default=None, description="The memo or tag of the payout address", examples=[None]
    )

    @model_validator(mode="after")
    def _payout(self) -> NowPaymentsOptions:
        if self.payout_address and not self.payout_currency:
            raise PydanticCustomError("validation_error", "payout_currency: required with payout_address")
        return self

    @property
    def fixed_rate(self) -> bool:
        return bool(self.is_fixed_rate or self.is_fee_paid_by_user)
