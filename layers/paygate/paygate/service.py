"""The composition root: settings, AWS clients, store, providers and the Gateway, built once per container."""

from __future__ import annotations

from functools import cache

import boto3

from paygate.config import settings
from paygate.lifecycle import Gateway
from paygate.models import utcnow
from paygate.providers import Registry
from paygate.store import PaymentStore


@cache
def dynamodb_client():
    return boto3.client("dynamodb")


@cache
def gateway() -> Gateway:
    config = settings()
    store = PaymentStore(config.payments_table, dynamodb_client(), due_shards=config.due_shards)
    return Gateway(store=store, providers=Registry(config), clock=utcnow)


def reset() -> None:
    """Forget everything built so far (tests and the local stack change the environment between runs)."""
    for cached in (settings, dynamodb_client, gateway):
        cached.cache_clear()
