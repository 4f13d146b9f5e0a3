"""A circuit breaker per provider (Powertools' circuit breaker, its state in DynamoDB so every container
sees a tripped circuit): a provider failing creates again and again is skipped for a while, so payments go
to the next eligible provider at once instead of waiting out its timeouts, and tried again after.

Only the provider's own failures count (unreachable, 5xx, timeouts, answers that cannot be read); a
refusal of what was sent does not. One successful call after the pause closes the circuit again. The
state lives in the idempotency table (same key and TTL attribute): one item per provider, `circuit:<name>`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.circuit_breaker import (
    CircuitBreakerConfig,
    CircuitBreakerOpenError,
    CircuitState,
    CircuitTransition,
    circuit_breaker,
)
from aws_lambda_powertools.utilities.circuit_breaker.persistence import CircuitBreakerDynamoDBPersistence

from paygate.errors import ProviderInvalidResponse, ProviderTimeout, ProviderUnavailable
from paygate.observability import count_for_provider

logger = Logger(service="paygate", child=True)

__all__ = ["CircuitBreakerOpenError", "Circuits"]


class Circuits:
    def __init__(self, table_name: str, client: Any, *, failure_threshold: int, recovery_seconds: int):
        self.persistence = CircuitBreakerDynamoDBPersistence(table_name=table_name, boto3_client=client)
        self.config = CircuitBreakerConfig(
            failure_threshold=failure_threshold,
            recovery_timeout=recovery_seconds,
            success_threshold=1,
            handled_exceptions=(ProviderUnavailable, ProviderInvalidResponse, ProviderTimeout),
        )

    def call[T](self, provider: str, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` through the provider's circuit; CircuitBreakerOpenError while it is open."""
        guarded = circuit_breaker(
            name=f"circuit:{provider}",
            persistence_store=self.persistence,
            config=self.config,
            on_transition=_announce,
        )(function)
        return guarded(*args)


def _announce(transition: CircuitTransition) -> None:
    provider = transition.circuit_name.removeprefix("circuit:")
    logger.warning("provider circuit changed", provider=provider, circuit=str(transition.to_state))
    if transition.to_state is CircuitState.OPEN:
        count_for_provider("ProviderCircuitOpened", provider)
