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

from paygate.errors import PROVIDER_FAULTS
from paygate.observability import count_for_provider

logger = Logger(service="paygate", child=True)


class Circuits:
    def __init__(self, table_name: str, client: Any, *, failure_threshold: int, recovery_seconds: int):
        self.table_name, self.client = table_name, client
        self.failure_threshold, self.recovery_seconds = failure_threshold, recovery_seconds
        self._breaker: Callable[[str], Callable[[Callable], Callable]] | None = None

    def call[T](self, provider: str, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` through the provider's circuit; CircuitBreakerOpenError while it is open."""
        return self._circuit(provider)(function)(*args)

    def _circuit(self, provider: str) -> Callable[[Callable], Callable]:
        # Made on first use: only a routed create needs the utility (reads and callbacks never load it).
        if self._breaker is None:
            from aws_lambda_powertools.utilities.circuit_breaker import CircuitBreakerConfig, circuit_breaker
            from aws_lambda_powertools.utilities.circuit_breaker.persistence import CircuitBreakerDynamoDBPersistence

            persistence = CircuitBreakerDynamoDBPersistence(table_name=self.table_name, boto3_client=self.client)
            config = CircuitBreakerConfig(
                failure_threshold=self.failure_threshold,
                recovery_timeout=self.recovery_seconds,
                success_threshold=1,
                handled_exceptions=PROVIDER_FAULTS,
            )

            def breaker(name: str) -> Callable[[Callable], Callable]:
                return circuit_breaker(
                    name=f"circuit:{name}", persistence_store=persistence, config=config, on_transition=_announce
                )

            self._breaker = breaker
        return self._breaker(provider)


def is_open(error: Exception) -> bool:
    """Whether `error` says a circuit was open (the provider was not called)."""
    from aws_lambda_powertools.utilities.circuit_breaker import CircuitBreakerOpenError

    return isinstance(error, CircuitBreakerOpenError)


def _announce(transition: Any) -> None:
    from aws_lambda_powertools.utilities.circuit_breaker import CircuitState

    provider = transition.circuit_name.removeprefix("circuit:")
    logger.warning("provider circuit changed", provider=provider, circuit=str(transition.to_state))
    if transition.to_state is CircuitState.OPEN:
        count_for_provider("ProviderCircuitOpened", provider)
