"""POST /payments/{payment_id}/cancel: the merchant gives up on a payment that has not ended."""

from typing import Annotated

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import api, service
from paygate.api import Account, Depends, Path
from paygate.lifecycle.cancel import CancelPayment
from paygate.models import Payment
from paygate.observability import logger, metrics

app = api.create_app()


@app.post(
    "/payments/<payment_id>/cancel",
    summary="Cancel a payment",
    operation_id="cancelPayment",
    description=(
        "Gives up on a payment that has not ended: `cancelled` (and cancelled at its provider, where the"
        " provider can). Cancelling a cancelled payment answers it again. Money that still arrives later"
        " is recorded (`succeeded`, `paid_late: true`)."
    ),
    security=[{"apiKey": []}],
    responses={
        200: {"description": "The payment, cancelled (or already cancelled)"},
    },
)
def cancel_payment(
    payment_id: Annotated[
        str, Path(max_length=64, description="The payment's id", examples=["pay_3f9c2a7d1e5b4c8a9f0e1d2c"])
    ],
    account: Account,
    cancel: Annotated[CancelPayment, Depends(service.cancel_payment)],
) -> Payment:
    return cancel(payment_id, account_id=account).public()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return api.serve(app, event, context)
