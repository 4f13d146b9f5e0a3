"""POST /payments: validate, then create the payment at its provider (idempotent with Idempotency-Key)."""

from typing import Annotated

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import api, service
from paygate.api import Account, Body, Depends, Header, Response
from paygate.lifecycle.idempotent import KEY_DESCRIPTION, KEY_EXAMPLE, IdempotentCreate
from paygate.models import Payment
from paygate.observability import logger, metrics
from paygate.providers.request import CreatePaymentRequest

app = api.create_app()


@app.post(
    "/payments",
    summary="Create a payment",
    operation_id="createPayment",
    description=(
        "Records the payment (write-ahead), then creates it at its provider: the one named in "
        "`provider`, or the first that routing finds willing (trying the next when one fails on its "
        "side). With `methods` and no provider, no provider is called: the payment waits, `provider: "
        "null`, for the customer's choice on its `checkout_url`. With an `Idempotency-Key`, the same key"
        " and body answer the first call's result again (`Idempotent-Replayed: true`)."
    ),
    security=[{"apiKey": []}],
    responses={
        201: {
            "description": "The payment, created (or replayed for a repeated Idempotency-Key)",
            # Where a client goes next: the payment by the id this answer gives.
            "links": {"GetPayment": {"operationId": "getPayment", "parameters": {"payment_id": "$response.body#/id"}}},
        }
    },
)
def create_payment(
    request: Annotated[CreatePaymentRequest, Body()],
    account: Account,
    create: Annotated[IdempotentCreate, Depends(service.idempotent_create)],
    idempotency_key: Annotated[
        str | None, Header(alias="idempotency-key", max_length=255, description=KEY_DESCRIPTION, examples=[KEY_EXAMPLE])
    ] = None,
) -> Response[Payment]:
    event = app.current_event
    created = create(
        request,
        raw_body=event.json_body,
        idempotency_key=idempotency_key,
        account_id=account,
        callback_base_url=api.callback_base_url(event),
    )
    metrics.add_metric(name="PaymentsCreated", unit="Count", value=1)
    return api.created(created.value, replayed=created.replayed)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    service.checked_providers()  # once per container: an unconfigured provider is logged at its start
    service.idempotent_create().config.register_lambda_context(context)
    return api.serve(app, event, context, json_only=True)
