"""POST /reconciliations: the merchant's own payments at one provider, created in a window, reconciled
now, within this request (each a status call; a run that runs short of time says `complete: false`);
GET /reconciliations/differences: what reconciliation could not repair, a page at a time."""

from typing import Annotated

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import api, deadline, service
from paygate.api import Account, Body, Depends, Query
from paygate.errors import ValidationFailed
from paygate.lifecycle.reconcile import Reconcile
from paygate.models import utcnow
from paygate.observability import logger, metrics
from paygate.providers.catalog import SPECS
from paygate.reconciliation import DifferenceList, Reconciliation, ReconciliationRequest
from paygate.store.differences import DifferenceStore

app = api.create_app()
SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]
# Kept back from the request's deadline, beyond the last status call's own time: the answer itself.
ANSWER_SECONDS = 3.0


def differences() -> DifferenceStore:
    return DifferenceStore(service.settings().differences_table, service.dynamodb_client())


def reconcile() -> Reconcile:
    return Reconcile(service.payments(), service.providers(), service.reports(), differences(), utcnow)


def time_left() -> float:
    """What the run may still start a payment in: the request's time less a whole status call and the answer."""
    left = deadline.remaining()
    return 0.0 if left is None else left - service.settings().provider_timeout_seconds - ANSWER_SECONDS


@app.post(
    "/reconciliations",
    summary="Reconcile your payments at a provider",
    operation_id="createReconciliation",
    description=(
        "Asks the provider for the status of each of this account's payments at it, created in the window and "
        "not final, within this request: what the status machine takes repairs the payment (a `sync` history "
        "entry), the rest is recorded as a difference. `complete: false`: time ran short; run it again."
    ),
    security=SECURITY,
    responses={200: {"description": "What the run checked, repaired and found; `complete: false` if it ran short"}},
)
def create_reconciliation(
    account: Account,
    run: Annotated[Reconcile, Depends(reconcile)],
    request: Annotated[ReconciliationRequest, Body()],
) -> Reconciliation:
    if request.provider not in SPECS:
        raise ValidationFailed(f"provider: must be one of {', '.join(SPECS)}", param="provider")
    return run(request.provider, request.created_gte, request.created_lt, time_left=time_left, account_id=account)


@app.get(
    "/reconciliations/differences",
    summary="List reconciliation differences",
    operation_id="listReconciliationDifferences",
    description=(
        "What reconciliation found at a provider and could not repair, for this account, a page at a time: "
        "ask again with `starting_after=<next_starting_after>` while `has_more`."
    ),
    security=SECURITY,
)
def list_differences(
    account: Account,
    store: Annotated[DifferenceStore, Depends(differences)],
    limit: Annotated[int, Query(ge=1, le=100, description="Differences per page")] = 20,
    starting_after: Annotated[str | None, Query(max_length=64, description="The last id of the previous page")] = None,
) -> DifferenceList:
    page = store.list_page(account, limit=limit, starting_after=starting_after)
    return DifferenceList(data=page.data, has_more=page.has_more, next_starting_after=page.next_starting_after)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return api.serve(app, event, context, json_only=True)
