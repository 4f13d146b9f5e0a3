"""What a merchant may ask of Payop beyond the common fields (`provider_options.payop`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import StrictInt, StringConstraints

from paygate.fields import Strict


class PayopOptions(Strict):
    """Payop's optional invoice fields (`POST /v1/invoices/create`)."""

    # A method id from GET /payment-methods (Payop's `paymentMethod`): the payer goes straight to it.
    payment_method: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}$")] | StrictInt | None = None
    # The checkout page's language, two letters (Payop's `language`; `en` when none is given).
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] | None = None
