"""Refunds: create one on a payment (all that remains by default; Idempotency-Key), list a payment's, read
one, and confirm or cancel a manual one. A refund is its own resource, never a payment status."""

from typing import Annotated

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import api, service
from paygate.api import Account, Body, Depends, Header, Path, Response
from paygate.errors import ValidationFailed
from paygate.lifecycle.idempotent import KEY_DESCRIPTION, KEY_EXAMPLE, IdempotentRefund
from paygate.lifecycle.refund import Refunds
from paygate.observability import logger, metrics
from paygate.refunds import ConfirmRefundRequest, CreateRefundRequest, Refund, RefundList

app = api.create_app()
SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]
PaymentId = Annotated[
    str, Path(max_length=64, description="The payment's id", examples=["pay_3f9c2a7d1e5b4c8a9f0e1d2c"])
]
RefundId = Annotated[str, Path(max_length=64, description="The refund's id", examples=["re_8b1d4e2f6a9c3b7d5e0f1a2b"])]
Handled = Annotated[Refunds, Depends(service.refunds)]


@app.post(
    "/payments/<payment_id>/refunds",
    summary="Refund a payment, in full or in part",
    operation_id="createRefund",
    description=(
        "Gives back `amount` (all that remains refundable when omitted) of what the payment received. "
        "Sent to the provider where it has a refund API (`pending` until it settles), else manual "
        "(`requires_action` until you confirm or cancel it). Idempotent with `Idempotency-Key`."
    ),
    security=SECURITY,
    responses={
        201: {
            "description": "The refund: pending at the provider, requires_action (manual), or already ended",
            # Where a client goes next: the refund by the id this answer gives.
            "links": {
                operation: {"operationId": operation, "parameters": {"refund_id": "$response.body#/id"}}
                for operation in ("getRefund", "confirmRefund", "cancelRefund")
            },
        },
        422: {"description": "payment_not_refundable, amount_exceeds_refundable, or a field broke a rule"},
    },
)
def create_refund(
    payment_id: PaymentId,
    account: Account,
    refund: Annotated[IdempotentRefund, Depends(service.idempotent_refund)],
    request: Annotated[CreateRefundRequest | None, Body()] = None,
    idempotency_key: Annotated[
        str | None, Header(alias="idempotency-key", max_length=255, description=KEY_DESCRIPTION, examples=[KEY_EXAMPLE])
    ] = None,
) -> Response[Refund]:
    if request is None and (app.current_event.body or "").strip():
        raise ValidationFailed("The body must be a JSON object (or nothing, to refund all that remains)")
    created = refund(payment_id, request or CreateRefundRequest(), idempotency_key=idempotency_key, account_id=account)
    metrics.add_metric(name="RefundsCreated", unit="Count", value=1)
    return api.created(created.value, replayed=created.replayed)


@app.get(
    "/payments/<payment_id>/refunds",
    summary="A payment's refunds, newest first",
    operation_id="listRefunds",
    description=("The payment's refunds, newest first."),
    security=SECURITY,
)
def list_refunds(payment_id: PaymentId, account: Account, refunds: Handled) -> RefundList:
    return RefundList(data=refunds.of_payment(payment_id, account_id=account))


@app.get(
    "/refunds/<refund_id>",
    summary="Read a refund",
    operation_id="getRefund",
    description=("One refund, with its history."),
    security=SECURITY,
)
def get_refund(refund_id: RefundId, account: Account, refunds: Handled) -> Refund:
    return refunds.get(refund_id, account_id=account)


@app.post(
    "/refunds/<refund_id>/confirm",
    summary="Confirm a manual refund: you gave the money back",
    operation_id="confirmRefund",
    description=(
        "For a manual refund (`requires_action`): you gave the money back, and `external_reference` "
        "proves it; the refund is `succeeded`."
    ),
    security=SECURITY,
    responses={200: {"description": "The refund, after the change"}},
)
def confirm_refund(
    refund_id: RefundId, request: Annotated[ConfirmRefundRequest, Body()], account: Account, refunds: Handled
) -> Refund:
    return refunds.confirm(refund_id, request, account_id=account)


@app.post(
    "/refunds/<refund_id>/cancel",
    summary="Cancel a manual refund: its amount is refundable again",
    operation_id="cancelRefund",
    description=(
        "For a manual refund (`requires_action`): you will not give the money back; the refund is "
        "`cancelled` and its amount refundable again."
    ),
    security=SECURITY,
    responses={200: {"description": "The refund, after the change"}},
)
def cancel_refund(refund_id: RefundId, account: Account, refunds: Handled) -> Refund:
    return refunds.cancel(refund_id, account_id=account)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    service.checked_providers()  # once per container: an unconfigured provider is logged at its start
    service.idempotent_refund().config.register_lambda_context(context)
    return api.serve(app, event, context, json_only=True)
