"""The composition root: settings, AWS clients, store, providers, the Gateway, the Sweeper and the event
publisher, each built once per container. Every handler gets its collaborators here, the same way.

Each part is imported when it is first built, so a function loads only what it uses (the stream
consumer never imports the providers or `requests`)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from paygate.config import settings

if TYPE_CHECKING:
    from paygate.checkout.hosted import HostedCheckout
    from paygate.events import EventPublisher
    from paygate.lifecycle.due_checks import CheckQueue
    from paygate.lifecycle.gateway import Gateway
    from paygate.lifecycle.sweeper import Sweeper
    from paygate.webhooks.service import Webhooks


@cache
def dynamodb_client() -> Any:
    return boto3.client("dynamodb")


def _prime_before_snapshot() -> None:
    """Under SnapStart, make the DynamoDB client (its service model and endpoint rules: the most costly part
    of a first invocation) before the snapshot, so a restored container starts with it. No connection is
    opened and no credential is fixed: the client reads credentials and connects at its first call. The
    hooks library is part of Lambda's Python runtimes; without SnapStart the hook is never called."""
    try:
        from snapshot_restore_py import register_before_snapshot  # type: ignore[import-not-found]
    except ImportError:
        return
    register_before_snapshot(dynamodb_client)


_prime_before_snapshot()


@cache
def gateway() -> Gateway:
    from paygate.checkout.links import CheckoutLinks
    from paygate.lifecycle.gateway import Gateway
    from paygate.models import utcnow
    from paygate.providers.circuits import Circuits
    from paygate.providers.registry import Registry
    from paygate.store import PaymentStore

    config = settings()
    store = PaymentStore(config.payments_table, dynamodb_client(), due_shards=config.due_shards)
    circuits = Circuits(
        config.idempotency_table,
        dynamodb_client(),
        failure_threshold=config.circuit_failure_threshold,
        recovery_seconds=config.circuit_recovery_seconds,
    )
    links = CheckoutLinks(checkout_signing_key)
    return Gateway(store=store, providers=Registry(config), clock=utcnow, links=links, circuits=circuits)


def checkout_signing_key() -> bytes:
    """The key that signs the hosted checkout's links: the stack's own secret, cached as credentials are."""
    from aws_lambda_powertools.utilities import parameters

    from paygate.errors import CheckoutNotConfigured
    from paygate.observability import logger

    config = settings()
    try:
        value = parameters.get_secret(config.checkout_secret_name, max_age=config.secret_max_age_seconds)
    except parameters.exceptions.GetParameterError as error:
        logger.error("the checkout signing key cannot be read", secret=config.checkout_secret_name)
        raise CheckoutNotConfigured("Checkout links cannot be made right now") from error
    return str(value).encode()


@cache
def checked_providers() -> list[str]:
    """The enabled providers without credentials, found (and logged) once per container, at its start."""
    return gateway().providers.check()


@cache
def checkout() -> HostedCheckout:
    from paygate.checkout.hosted import HostedCheckout

    return HostedCheckout(gateway())


@cache
def sweeper() -> Sweeper:
    from paygate.lifecycle.sweeper import Sweeper
    from paygate.providers.rate_limits import RateLimits

    config = settings()
    limits = RateLimits(config.idempotency_table, dynamodb_client(), config.rate_limits)
    return Sweeper(gateway(), rate_limits=limits, claim_seconds=config.due_claim_seconds)


def due_checks_queue() -> CheckQueue | None:
    """Where the scheduled run hands due checks over (DUE_CHECKS_QUEUE_URL); None: it checks them itself."""
    from paygate.lifecycle.due_checks import SqsCheckQueue

    url = settings().due_checks_queue_url
    return SqsCheckQueue(sqs_client(), url) if url else None


@cache
def sqs_client() -> Any:
    return boto3.client("sqs")


@cache
def publisher() -> EventPublisher:
    from paygate.events import EventPublisher

    return EventPublisher(boto3.client("events"), settings().event_bus_name)


@cache
def webhooks() -> Webhooks:
    from paygate.models import utcnow
    from paygate.webhooks.service import Webhooks
    from paygate.webhooks.store import WebhookStore

    config = settings()
    store = WebhookStore(
        config.webhook_endpoints_table, config.webhook_deliveries_table, dynamodb_client(), due_shards=config.due_shards
    )
    return Webhooks(
        store=store,
        clock=utcnow,
        retry_schedule=config.webhook_retry_schedule,
        lease_seconds=config.webhook_lease_seconds,
        allow_private=config.webhook_allow_private,
        enqueue_retry=_retry_queue(config.webhook_queue_url) if config.webhook_queue_url else None,
    )


def _retry_queue(queue_url: str) -> Callable[[str, float], None]:
    """Puts a delivery back on the webhook queue, to be attempted after `delay` seconds (15 min at most)."""

    def enqueue(delivery_id: str, delay: float) -> None:
        body = json.dumps({"delivery_id": delivery_id})
        sqs_client().send_message(QueueUrl=queue_url, MessageBody=body, DelaySeconds=min(900, math.ceil(delay)))

    return enqueue


def reset() -> None:
    """Forget everything built so far (tests and the local stack change the environment between runs),
    the credentials Powertools holds included."""
    from aws_lambda_powertools.utilities import parameters

    for cached in (
        settings,
        dynamodb_client,
        sqs_client,
        gateway,
        checked_providers,
        checkout,
        sweeper,
        publisher,
        webhooks,
    ):
        cached.cache_clear()
    parameters.clear_caches()
