"""What a merchant may ask of Paygentic beyond the common fields (`provider_options.paygentic`)."""

from __future__ import annotations

from pydantic import Field, StrictBool

from paygate.fields import Identifier, Strict


class PaygenticOptions(Strict):
    """Paygentic's optional create fields (`POST /v0/payments`)."""

    customer_id: Identifier | None = Field(
        default=None, description="Paygentic's customerId (the merchant's)", examples=["cus_8f2a1c"]
    )
    save_payment_method: StrictBool | None = Field(
        default=None,
        description="Ask Paygentic to keep the customer's payment method for later payments",
        examples=[False],
    )
