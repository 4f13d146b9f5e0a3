"""Idempotent creates: with an Idempotency-Key, a payment (or a refund) is created at most once per key and
account within 24 h (Powertools idempotency). The same key and body replay the first answer and call no
provider; the same key with another body is refused; a second request while the first still runs is
told so. Only an answer is remembered: after an error, the same key makes a new attempt. A refund that
failed at its provider is an answer (the Refund, `failed`): the same key replays it, a new key refunds.

The persistence layer (the idempotency table) is given by the composition root, which builds these once
per container."""

from __future__ import annotations

from abc import ABC, abstractmethod
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
from paygate.lifecycle.refund import Refunds
from paygate.models import Payment
from paygate.providers.request import CreatePaymentRequest
from paygate.refunds import CreateRefundRequest, Refund

# The Idempotency-Key header as the API document describes it.
KEY_DESCRIPTION = "At most one create per key: the same key and body answer the first result (`Idempotent-Replayed`)"
KEY_EXAMPLE = "0b6c1f3e-2d4a-4f8e-9a7b-5c3d2e1f0a9b"
IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Created[T]:
    value: T
    replayed: bool


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:
    return {**response, "replayed": True}


class Idempotent(ABC):
    """Runs `perform(call)` at most once per (scope, Idempotency-Key); the body must be the same to replay."""

    def __init__(self, persistence: BasePersistenceLayer):
        self.config = IdempotencyConfig(
            event_key_jmespath="[scope, key]",
            payload_validation_jmespath="body",
            expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
            response_hook=_mark_replayed,
        )
        self._once = idempotent_function(
            data_keyword_argument="call", config=self.config, persistence_store=persistence
        )(self.perform)

    @abstractmethod
    def perform(self, call: dict[str, Any]) -> dict[str, Any]:
        """What the idempotency record keeps and replays, as JSON."""

    def once(self, call: dict[str, Any], idempotency_key: str | None) -> tuple[dict[str, Any], bool]:
        """The answer of `call`, and whether it is a replay. Keys are the scope's own (the account's: another
        merchant's same key is another call)."""
        if not idempotency_key:
            return self.perform(call), False
        try:
            answer = self._once(call={**call, "key": idempotency_key})
        except IdempotencyValidationError as error:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used with a different body", param="Idempotency-Key"
            ) from error
        except IdempotencyAlreadyInProgressError as error:
            raise IdempotencyInProgress("A request with this Idempotency-Key is still running") from error
        return answer, answer.get("replayed", False)


class IdempotentCreate(Idempotent):
    def __init__(self, create: CreatePayment, persistence: BasePersistenceLayer):
        self.create = create
        super().__init__(persistence)

    def __call__(
        self,
        request: CreatePaymentRequest,
        *,
        raw_body: Any,
        idempotency_key: str | None,
        account_id: str,
        callback_base_url: str,
    ) -> Created[Payment]:
        call = {"scope": account_id, "body": raw_body, "base_url": callback_base_url}
        answer, replayed = self.once(call, idempotency_key)
        return Created(Payment.model_validate(answer["payment"]), replayed)

    def perform(self, call: dict[str, Any]) -> dict[str, Any]:
        request = CreatePaymentRequest.model_validate(call["body"])
        created = self.create(request, account_id=call["scope"], callback_base_url=call["base_url"])
        return {"payment": created.public().model_dump(mode="json")}


class IdempotentRefund(Idempotent):
    def __init__(self, refunds: Refunds, persistence: BasePersistenceLayer):
        self.refunds = refunds
        super().__init__(persistence)

    def __call__(
        self,
        payment_id: str,
        request: CreateRefundRequest,
        *,
        idempotency_key: str | None,
        account_id: str,
    ) -> Created[Refund]:
        # A refund's key is scoped to its account and payment: the same key on another payment is another
        # refund. The body compared on a replay is the request as read (no body and `{}` are the same one).
        call = {
            "scope": f"{account_id}:refunds:{payment_id}",
            "body": request.model_dump(mode="json", exclude_none=True),
            "account": account_id,
            "payment": payment_id,
        }
        answer, replayed = self.once(call, idempotency_key)
        return Created(Refund.model_validate(answer["refund"]), replayed)

    def perform(self, call: dict[str, Any]) -> dict[str, Any]:
        request = CreateRefundRequest.model_validate(call["body"])
        refund = self.refunds.create(call["payment"], request, account_id=call["account"])
        return {"refund": refund.model_dump(mode="json")}
