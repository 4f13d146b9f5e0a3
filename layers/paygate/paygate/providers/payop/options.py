"""What a merchant may ask of Payop beyond the common fields (`provider_options.payop`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints

from paygate.fields import Strict


class PayopOptions(Strict):
    """Payop's optional invoice fields (`POST /v1/invoices/create`)."""

    payment_method: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}$")] | StrictInt | None = Field(
        default=None,
        description="A method id from GET /payment-methods (Payop's `paymentMethod`): the payer goes straight to it",
        examples=["381"],
    )
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] | None = Field(
        default=None,
        description="The checkout page's language, two letters (Payop's `language`; `en` when none is given)",
        examples=["en"],
    )
