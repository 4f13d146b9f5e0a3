"""What a merchant may ask of one provider beyond the common fields: `provider_options.<provider>` in
POST /payments. One strict model per provider (unknown options and wrong types are 422s naming their
path); each adapter sends its own options in its provider's wire format, and only when it takes the
payment. Pydantic only, no I/O: the catalog (and so the request model) reads these at import."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

# No control characters, as every text field of a request (see paygate.models).
_PLAIN = r"^[^\x00-\x1f\x7f-\x9f]*$"
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=_PLAIN)]


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class NowPaymentsOptions(Options):
    """NOWPayments' optional create fields (`POST /v1/payment`)."""

    # Freeze the exchange rate for 20 minutes; the payment expires if nothing arrives in that time.
    is_fixed_rate: StrictBool | None = None
    # The customer pays the network and service fees; forces a fixed rate.
    is_fee_paid_by_user: StrictBool | None = None
    # Send the funds to this address instead of the account's own, in `payout_currency` (required with it).
    payout_address: Identifier | None = None
    payout_currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{2,20}$")] | None = None
    payout_extra_id: Identifier | None = None  # memo or tag of the payout address

    @model_validator(mode="after")
    def _payout(self) -> NowPaymentsOptions:
        if self.payout_address and not self.payout_currency:
            raise PydanticCustomError("validation_error", "payout_currency: required with payout_address")
        return self

    @property
    def fixed_rate(self) -> bool:
        return bool(self.is_fixed_rate or self.is_fee_paid_by_user)


class PayopOptions(Options):
    """Payop's optional invoice fields (`POST /v1/invoices/create`)."""

    # A method id from GET /payment-methods (Payop's `paymentMethod`): the payer goes straight to it.
    payment_method: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}$")] | StrictInt | None = None
    # The checkout page's language, two letters (Payop's `language`; `en` when none is given).
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] | None = None


class PaygenticOptions(Options):
    """Paygentic's optional create fields (`POST /v0/payments`)."""

    customer_id: Identifier | None = Field(default=None, description="Paygentic's customerId (the merchant's)")
    save_payment_method: StrictBool | None = None


class ProviderOptions(Options):
    """`provider_options`: keyed by provider name, each value that provider's options. A request may carry
    options for several providers when it lets routing choose; only the chosen provider's are sent."""

    nowpayments: NowPaymentsOptions | None = None
    payop: PayopOptions | None = None
    paygentic: PaygenticOptions | None = None

    def of(self, provider: str) -> Options | None:
        return getattr(self, provider, None)
