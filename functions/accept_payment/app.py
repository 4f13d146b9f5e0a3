"""POST /payments/{payment_id}/accept: the merchant accepts a payment that received less than it asked."""

from typing import Annotated

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import api, service
from paygate.api import Account, Depends, Path
from paygate.lifecycle.accept import AcceptPayment
from paygate.models import Payment
from paygate.observability import logger, metrics

app = api.create_app()


@app.post(
    "/payments/<payment_id>/accept",
    summary="Accept an underpaid payment as it is",
    operation_id="acceptPayment",
    description=(
        "Accepts a `partially_paid` payment (or one that expired after receiving less than it asks) with"
        " what it received: `succeeded`, `amount_received` below `amount`."
    ),
    security=[{"apiKey": []}],
    responses={
        200: {"description": "The payment, succeeded with what it received"},
    },
)
def accept_payment(
    payment_id: Annotated[
        str, Path(max_length=64, description="The payment's id", examples=["pay_3f9c2a7d1e5b4c8a9f0e1d2c"])
    ],
    account: Account,
    accept: Annotated[AcceptPayment, Depends(service.accept_payment)],
) -> Payment:
    return accept(payment_id, account_id=account).public()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return api.serve(app, event, context)
