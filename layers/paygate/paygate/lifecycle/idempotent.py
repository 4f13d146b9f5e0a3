"""Idempotent create: with an Idempotency-Key, a payment is created at most once per key and account
within 24 h (Powertools idempotency). The same key and body replay the first answer and call no
provider; the same key with another body is refused; a second request while the first still runs is
told so. Only a successful create is remembered: after an error, the same key makes a new attempt.

The persistence layer (the idempotency table) is given by the composition root, which builds this once
per container."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from paygate.errors import IdempotencyInProgress, IdempotencyKeyReused
from paygate.lifecycle.create import CreatePayment
from paygate.models import Payment
from paygate.providers.request import CreatePaymentRequest

IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Created:
    payment: Payment
    replayed: bool


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:
    return {**response, "replayed": True}


class IdempotentCreate:
    def __init__(self, create: CreatePayment, persistence: BasePersistenceLayer):
        self.create = create
        # The key is the account and the Idempotency-Key; the body must be the same to replay.
        self.config = IdempotencyConfig(
            event_key_jmespath="[scope, key]",
            payload_validation_jmespath="body",
            expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
            response_hook=_mark_replayed,
        )
        self._once = idempotent_function(
            data_keyword_argument="call", config=self.config, persistence_store=persistence
        )(self._create_once)

    def __call__(
        self,
        request: CreatePaymentRequest,
        *,
        raw_body: Any,
        idempotency_key: str | None,
        account_id: str,
        callback_base_url: str,
    ) -> Created:
        if not idempotency_key:
            return Created(self._create(request, account_id, callback_base_url), replayed=False)
        # Keys are the account's own: another merchant's same key is another payment.
        call = {"scope": account_id, "key": idempotency_key, "body": raw_body, "base_url": callback_base_url}
        try:
            answer = self._once(call=call)
        except IdempotencyValidationError as error:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used with a different body", param="Idempotency-Key"
            ) from error
        except IdempotencyAlreadyInProgressError as error:
            raise IdempotencyInProgress("A request with this Idempotency-Key is still running") from error
        return Created(Payment.model_validate(answer["payment"]), replayed=answer.get("replayed", False))

    def _create_once(self, call: dict[str, Any]) -> dict[str, Any]:
        """What the idempotency record keeps and replays: the public Payment as JSON."""
        request = CreatePaymentRequest.model_validate(call["body"])
        return {"payment": self._create(request, call["scope"], call["base_url"]).model_dump(mode="json")}

    def _create(self, request: CreatePaymentRequest, account_id: str, callback_base_url: str) -> Payment:
        return self.create(request, account_id=account_id, callback_base_url=callback_base_url).public()
