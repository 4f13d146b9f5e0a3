"""The API key authorizer (an API Gateway REQUEST authorizer on X-API-Key): a key that works answers an
Allow for the whole API, with the account and mode it acts for in the request's context; anything else
is refused (API Gateway answers 401 in the one error shape). API Gateway keeps each answer for a minute
(`ReauthorizeEvery`): a revoked key may work until then."""

from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import service
from paygate.observability import logger, metrics


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict[str, Any]:
    request = APIGatewayAuthorizerRequestEvent(event)
    merchant = service.authorize()(request.headers.get("x-api-key"))  # headers match any case
    if merchant is None:
        metrics.add_metric(name="ApiKeysRefused", unit="Count", value=1)
        # A Deny, not an exception: a refusal is an answer, not a failure, so the function's Errors (an
        # alarm, and what rolls its deploy back) count only its crashes. API Gateway answers it as it
        # answers "Unauthorized": 401 invalid_api_key (template.yaml: ACCESS_DENIED and UNAUTHORIZED).
        refusal = APIGatewayAuthorizerResponse.from_route_arn(request.method_arn, principal_id="refused")
        refusal.deny_all_routes()  # cached for every route, as an Allow is
        return refusal.asdict()
    policy = APIGatewayAuthorizerResponse.from_route_arn(
        request.method_arn,
        principal_id=merchant.account_id,
        # Strings only: API Gateway passes context values on as text.
        context={"account_id": merchant.account_id, "livemode": str(merchant.livemode).lower()},
    )
    policy.allow_all_routes()  # cached for every route of the API, whichever asked first
    return policy.asdict()
