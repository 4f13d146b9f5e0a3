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


@app.get("/payments", summary="List payments", operation_id="listPayments", security=[{"apiKey": []}])
def list_payments(
    account: Account,
    list_page: Annotated[ListPayments, Depends(service.list_payments)],
    limit: Annotated[int, Query(ge=1, le=100, description="Payments per page")] = 20,
    starting_after: Annotated[str | None, Query(max_length=64, description="A payment id of the previous page")] = None,
    status: Annotated[Status | None, Query()] = None,
    provider: Annotated[str | None, Query(max_length=32, json_schema_extra={"enum": list(SPECS)})] = None,
    reference: Annotated[str | None, Query(max_length=255)] = None,
    created_gte: Annotated[datetime | None, Query(description="Created at or after (RFC 3339)")] = None,
    created_lt: Annotated[datetime | None, Query(description="Created before (RFC 3339)")] = None,
    money: Annotated[
        Literal["underpaid", "overpaid", "late"] | None,
        Query(description="Only payments whose money did not match: paid less, more, or after they ended"),
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
