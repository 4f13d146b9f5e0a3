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
    security=[{"apiKey": []}],
    responses={
        200: {"description": "The payment, cancelled (or already cancelled)"},
        409: {"description": "payment_not_cancellable: it succeeded, failed or expired"},
    },
)
def cancel_payment(
    payment_id: Annotated[str, Path(max_length=64)],
    account: Account,
    cancel: Annotated[CancelPayment, Depends(service.cancel_payment)],
) -> Payment:
    return cancel(payment_id, account_id=account).public()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return api.serve(app, event, context)
