"""GET /payments/{payment_id}: the payment as stored, or as the provider now reports it (force_sync)."""

from typing import Annotated

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import api, service
from paygate.api import Account, Depends, Path, Query
from paygate.lifecycle.sync import ReadPayment
from paygate.models import Payment
from paygate.observability import logger, metrics

app = api.create_app()


@app.get(
    "/payments/<payment_id>",
    summary="Read a payment",
    operation_id="getPayment",
    description=(
        "The payment as it is recorded, with its history; `force_sync=true` asks its provider for the "
        "status first (a provider that does not answer in time leaves the recorded status)."
    ),
    security=[{"apiKey": []}],
)
def get_payment(
    payment_id: Annotated[
        str, Path(max_length=64, description="The payment's id", examples=["pay_3f9c2a7d1e5b4c8a9f0e1d2c"])
    ],
    account: Account,
    read: Annotated[ReadPayment, Depends(service.read_payment)],
    force_sync: Annotated[
        bool, Query(description="Ask the provider for the status first (where it can be asked)", examples=[True])
    ] = False,
) -> Payment:
    return read(payment_id, account_id=account, sync=force_sync).public()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return api.serve(app, event, context)
