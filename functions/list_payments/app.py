"""GET /payments: the merchant's own payments, newest first, a page at a time (Stripe-style cursors)."""

from datetime import datetime
from typing import Annotated, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import api, service
from paygate.api import Account, Depends, Query
from paygate.errors import ValidationFailed
from paygate.lifecycle.listing import ListPayments
from paygate.models import PaymentList, PaymentQuery, Status
from paygate.observability import logger, metrics
from paygate.providers.catalog import SPECS

app = api.create_app()


@app.get(
    "/payments",
    summary="List payments",
    operation_id="listPayments",
    description=(
        "This account's payments of this key's mode, newest first, a page at a time, with optional "
        "filters. `has_more` says whether to ask again with `starting_after=<next_starting_after>`."
    ),
    security=[{"apiKey": []}],
)
def list_payments(
    account: Account,
    list_page: Annotated[ListPayments, Depends(service.list_payments)],
    limit: Annotated[int, Query(ge=1, le=100, description="Payments per page", examples=[20])] = 20,
    starting_after: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Where the page starts: after this payment (the previous page's `next_starting_after`)",
            examples=["pay_3f9c2a7d1e5b4c8a9f0e1d2c"],
        ),
    ] = None,
    status: Annotated[Status | None, Query(description="Only payments in this status", examples=["succeeded"])] = None,
    provider: Annotated[
        str | None,
        Query(
            max_length=32,
            description="Only payments of this provider",
            examples=["sandbox"],
            json_schema_extra={"enum": list(SPECS)},
        ),
    ] = None,
    reference: Annotated[
        str | None,
        Query(max_length=255, description="Only payments with this `reference` (exactly)", examples=["order-1001"]),
    ] = None,
    created_gte: Annotated[
        datetime | None,
        Query(
            description="Only payments created at or after this time (RFC 3339; UTC when no zone is given)",
            examples=["2026-01-01T00:00:00Z"],
        ),
    ] = None,
    created_lt: Annotated[
        datetime | None,
        Query(
            description="Only payments created before this time (RFC 3339; UTC when no zone is given)",
            examples=["2026-02-01T00:00:00Z"],
        ),
    ] = None,
    money: Annotated[
        Literal["underpaid", "overpaid", "late"] | None,
        Query(
            description="Only payments whose money did not match: paid less, more, or after they ended",
            examples=["underpaid"],
        ),
    ] = None,
) -> PaymentList:
    if provider is not None and provider not in SPECS:
        raise ValidationFailed(f"provider: must be one of {', '.join(SPECS)}", param="provider")
    query = PaymentQuery(limit, starting_after, status, provider, reference, created_gte, created_lt, money)
    page = list_page(api.aware(query), account_id=account)
    data = [record.public() for record in page.records]
    return PaymentList(data=data, has_more=page.has_more, next_starting_after=page.next_starting_after)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return api.serve(app, event, context)
