"""The merchant's API keys: list, create (the key shown once), revoke, roll (a new key; the old one keeps
working until `expires_at`, at most 7 days). A key manages the keys of its own account and mode."""

from typing import Annotated

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import api, service
from paygate.accounts.manage import ApiKeys
from paygate.accounts.models import ApiKey, ApiKeyList, CreateKeyRequest, RollKeyRequest
from paygate.api import Body, Caller, Depends, Path, Response
from paygate.observability import logger, metrics

app = api.create_app()
SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]
KeyId = Annotated[str, Path(max_length=64, description="The API key's id", examples=["key_5d2e8f1a9b3c7d4e"])]
Keys = Annotated[ApiKeys, Depends(service.api_keys)]


@app.get(
    "/api-keys",
    summary="List the API keys of this mode",
    operation_id="listApiKeys",
    description=("The account's API keys of this key's mode (their secrets never shown)."),
    security=SECURITY,
)
def list_keys(merchant: Caller, keys: Keys) -> ApiKeyList:
    return ApiKeyList(data=[key.public() for key in keys.list(merchant)])


@app.post(
    "/api-keys",
    summary="Create an API key (shown only in this answer)",
    operation_id="createApiKey",
    description=("A new API key of this key's account and mode. Its `secret` is shown only in this answer."),
    security=SECURITY,
    responses={201: {"description": "The key, with its `secret`: shown only here"}},
)
def create_key(merchant: Caller, keys: Keys, request: Annotated[CreateKeyRequest, Body()]) -> Response[ApiKey]:
    record, secret = keys.create(merchant, request)
    return api.created(record.public(secret=secret))


@app.post(
    "/api-keys/<key_id>/revoke",
    summary="Revoke an API key (it stops working within a minute)",
    operation_id="revokeApiKey",
    description=("The key stops working (within the authorizer's cache time, a minute)."),
    security=SECURITY,
)
def revoke_key(key_id: KeyId, merchant: Caller, keys: Keys) -> ApiKey:
    return keys.revoke(merchant, key_id).public()


@app.post(
    "/api-keys/<key_id>/roll",
    summary="Roll an API key: a new one, the old one working until expires_at (at most 7 days)",
    operation_id="rollApiKey",
    description=(
        "A new key replacing this one, whose `secret` is shown only in this answer; the old key keeps "
        "working until `expires_at` (at most 7 days), so deployments can move over."
    ),
    security=SECURITY,
    responses={201: {"description": "The new key, with its `secret`: shown only here"}},
)
def roll_key(
    key_id: KeyId, merchant: Caller, keys: Keys, request: Annotated[RollKeyRequest, Body()]
) -> Response[ApiKey]:
    record, secret = keys.roll(merchant, key_id, request)
    return api.created(record.public(secret=secret))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return api.serve(app, event, context, json_only=True)
