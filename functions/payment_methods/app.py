"""GET /payment-methods: what a customer could pay a payment of this currency (and amount) with, across
the enabled providers."""

from decimal import Decimal
from typing import Annotated, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from paygate import api, service
from paygate.api import Caller, Query
from paygate.currencies import MINOR_UNITS
from paygate.errors import ValidationFailed
from paygate.fields import AMOUNT_PATTERN
from paygate.models import PaymentMethod
from paygate.observability import logger, metrics

app = api.create_app()


class PaymentMethodList(BaseModel):
    """The ways a customer could pay a price."""

    object: Literal["list"] = Field(default="list", description="Always `list`", examples=["list"])
    data: list[PaymentMethod] = Field(description="The ways to pay, provider by provider", examples=[[]])


@app.get(
    "/payment-methods",
    summary="List the ways a customer could pay",
    operation_id="listPaymentMethods",
    description=(
        "What a customer could pay a price with, at every enabled provider of this key's mode (the "
        "hosted checkout offers these for a payment created with `methods`)."
    ),
    security=[{"apiKey": []}],
)
def payment_methods(
    currency: Annotated[
        str,
        Query(
            description="ISO 4217 code of the price",
            examples=["EUR"],
            pattern="^[A-Z]{3}$",
            json_schema_extra={"enum": sorted(MINOR_UNITS)},
        ),
    ],
    merchant: Caller,
    amount: Annotated[
        str | None,
        Query(
            description="The price, a decimal string: only methods that take it",
            examples=["10.00"],
            pattern=AMOUNT_PATTERN,
        ),
    ] = None,
) -> PaymentMethodList:
    if currency not in MINOR_UNITS:
        raise ValidationFailed(
            "currency: not an ISO 4217 fiat currency code", code="unsupported_currency", param="currency"
        )
    methods = service.payment_methods()(currency, Decimal(amount) if amount else None, livemode=merchant.livemode)
    return PaymentMethodList(data=methods)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return api.serve(app, event, context)
