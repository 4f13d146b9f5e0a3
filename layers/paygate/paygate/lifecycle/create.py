"""Idempotent create: with an Idempotency-Key, a payment is created at most once per key and API key
within 24 h (Powertools idempotency). The same key and body replay the first answer and call no
provider; the same key with another body is refused; a second request while the first still runs is
told so.

Configured at module level, as Powertools' own examples are: this module is imported by the create
function only, once per container, after its environment is set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from paygate import service
from paygate.config import settings
from paygate.errors import IdempotencyInProgress, IdempotencyKeyReused
from paygate.models import CreatePaymentRequest, Payment

IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:
    return {**response, "replayed": True}


persistence_store = DynamoDBPersistenceLayer(
    table_name=settings().idempotency_table, boto3_client=service.dynamodb_client()
)
# The key is the API key's scope and the Idempotency-Key; the body must be the same to replay.
config = IdempotencyConfig(
    event_key_jmespath="[scope, key]",
    payload_validation_jmespath="body",
    expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
    response_hook=_mark_replayed,
)


@dataclass(frozen=True)
class Created:
    payment: Payment
    replayed: bool


def create_payment(
    request: CreatePaymentRequest,
    *,
    raw_body: Any,
    idempotency_key: str | None,
    account_id: str,
    callback_base_url: str,
) -> Created:
    if not idempotency_key:
        return Created(_create(request, account_id, callback_base_url), replayed=False)
    # Keys are the account's own: another merchant's same key is another payment.
    call = {"scope": account_id, "key": idempotency_key, "body": raw_body, "base_url": callback_base_url}
    try:
        answer = _create_once(call=call)
    except IdempotencyValidationError as error:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used with a different body", param="Idempotency-Key"
        ) from error
    except IdempotencyAlreadyInProgressError as error:
        raise IdempotencyInProgress("A request with this Idempotency-Key is still running") from error
    return Created(Payment.model_validate(answer["payment"]), replayed=answer.get("replayed", False))


@idempotent_function(data_keyword_argument="call", config=config, persistence_store=persistence_store)
def _create_once(call: dict[str, Any]) -> dict[str, Any]:
    """What the idempotency record keeps and replays: the public Payment as JSON."""
    request = CreatePaymentRequest.model_validate(call["body"])
    return {"payment": _create(request, call["scope"], call["base_url"]).model_dump(mode="json")}


def _create(request: CreatePaymentRequest, account_id: str, callback_base_url: str) -> Payment:
    gateway = service.gateway()
    return gateway.create_payment(request, account_id=account_id, callback_base_url=callback_base_url).public()
