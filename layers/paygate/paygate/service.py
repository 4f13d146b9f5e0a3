"""The composition root: settings, AWS clients, store, providers, the Gateway, the Sweeper and the event
publisher, each built once per container. Every handler gets its collaborators here, the same way.

Each part is imported when it is first built, so a function loads only what it uses (the stream
consumer never imports the providers or `requests`)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from paygate.config import settings

if TYPE_CHECKING:
    from paygate.events import EventPublisher
    from paygate.lifecycle.gateway import Gateway
    from paygate.lifecycle.sweeper import Sweeper


@cache
def dynamodb_client() -> Any:
    return boto3.client("dynamodb")


@cache
def gateway() -> Gateway:
    from paygate.lifecycle.gateway import Gateway
    from paygate.models import utcnow
    from paygate.providers.registry import Registry
    from paygate.store import PaymentStore

    config = settings()
    store = PaymentStore(config.payments_table, dynamodb_client(), due_shards=config.due_shards)
    return Gateway(store=store, providers=Registry(config), clock=utcnow)


@cache
def sweeper() -> Sweeper:
    from paygate.lifecycle.sweeper import Sweeper

    return Sweeper(gateway())


@cache
def publisher() -> EventPublisher:
    from paygate.events import EventPublisher

    return EventPublisher(boto3.client("events"), settings().event_bus_name)


def reset() -> None:
    """Forget everything built so far (tests and the local stack change the environment between runs)."""
    for cached in (settings, dynamodb_client, gateway, sweeper, publisher):
        cached.cache_clear()
