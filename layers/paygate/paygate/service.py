"""The composition root: settings, AWS clients, the stores, the providers, and every use case, each built
once per container. Every handler gets its collaborators here, the same way, and nothing else builds them.

Each part is imported when it is first built, so a function loads only what it uses (the stream consumer
never imports the providers or `requests`, a read never imports the idempotency utility)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from paygate import aws
from paygate.config import settings
from paygate.models import utcnow

if TYPE_CHECKING:
    from paygate.accounts.authorize import Authorize
    from paygate.accounts.manage import ApiKeys, Profiles
    from paygate.accounts.store import AccountStore
    from paygate.checkout.links import CheckoutLinks
    from paygate.exports.service import Exports
    from paygate.lifecycle.accept import AcceptPayment
    from paygate.lifecycle.attempts import Attempts
    from paygate.lifecycle.callback import ApplyCallback
    from paygate.lifecycle.cancel import CancelPayment
    from paygate.lifecycle.checks import Checker
    from paygate.lifecycle.choose import ChooseMethod
    from paygate.lifecycle.create import CreatePayment
    from paygate.lifecycle.due_checks import CheckQueue
    from paygate.lifecycle.hosted import HostedCheckout
    from paygate.lifecycle.idempotent import IdempotentCreate, IdempotentRefund
    from paygate.lifecycle.listing import ListPayments
    from paygate.lifecycle.methods import PaymentMethods
    from paygate.lifecycle.refund import Refunds
    from paygate.lifecycle.reports import Reports
    from paygate.lifecycle.sync import ReadPayment
    from paygate.providers.circuits import Circuits
    from paygate.providers.registry import Registry
    from paygate.publisher import EventPublisher
    from paygate.store.payments import PaymentStore
    from paygate.store.refunds import RefundIndex
    from paygate.webhooks.service import Webhooks


_PARTS: list[Any] = [settings]


def _new(path: str, *args: Any, **kwargs: Any) -> Any:
    """`Class(*args, **kwargs)` of "package.module:Class", imported now: a function loads only the parts
    it builds."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)(*args, **kwargs)


def part[T](build: Callable[[], T]) -> Callable[[], T]:
    """A part built once per container (and forgotten by `reset`)."""
    cached = cache(build)
    _PARTS.append(cached)
    return cached


@part
def dynamodb_client() -> Any:
    return aws.client("dynamodb")


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


# --- the parts the use cases share -------------------------------------------------------------------


@part
def payments() -> PaymentStore:
    from paygate.store.payments import PaymentStore

    config = settings()
    return PaymentStore(config.payments_table, dynamodb_client(), due_shards=config.due_shards, clock=utcnow)


@part
def providers() -> Registry:
    from paygate.config import credential_reader
    from paygate.providers.registry import Registry

    config = settings()
    return Registry(config.providers(), credentials=credential_reader(config), clock=utcnow)


@part
def checked_providers() -> list[str]:
    """The enabled providers without credentials, found (and logged) once per container, at its start."""
    return providers().check()


@part
def links() -> CheckoutLinks:
    from paygate.checkout.links import CheckoutLinks, SecretKeys

    config = settings()
    keys = SecretKeys(config.checkout_secret_name, max_age=config.secret_max_age_seconds)
    return CheckoutLinks(keys, reread=keys.reread)


@part
def circuits() -> Circuits:
    config = settings()
    threshold, recovery = config.circuit_failure_threshold, config.circuit_recovery_seconds
    return _new("paygate.providers.circuits:Circuits", config.idempotency_table, dynamodb_client(),
                failure_threshold=threshold, recovery_seconds=recovery)  # fmt: skip


@part
def reports() -> Reports:
    return _new("paygate.lifecycle.reports:Reports", payments(), utcnow)


@part
def attempts() -> Attempts:
    return _new("paygate.lifecycle.attempts:Attempts", payments(), circuits(), utcnow)


# --- the use cases -----------------------------------------------------------------------------------


@part
def create_payment() -> CreatePayment:
    return _new("paygate.lifecycle.create:CreatePayment", payments(), providers(), attempts(), links(), utcnow)


@part
def idempotent_create() -> IdempotentCreate:
    return _new("paygate.lifecycle.idempotent:IdempotentCreate", create_payment(), _idempotency_store())


def _idempotency_store() -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=settings().idempotency_table, boto3_client=dynamodb_client())


@part
def read_payment() -> ReadPayment:
    return _new("paygate.lifecycle.sync:ReadPayment", payments(), providers(), reports())


@part
def cancel_payment() -> CancelPayment:
    return _new("paygate.lifecycle.cancel:CancelPayment", payments(), providers(), utcnow)


@part
def list_payments() -> ListPayments:
    return _new("paygate.lifecycle.listing:ListPayments", payments())


@part
def payment_methods() -> PaymentMethods:
    return _new("paygate.lifecycle.methods:PaymentMethods", providers())


@part
def apply_callback() -> ApplyCallback:
    return _new("paygate.lifecycle.callback:ApplyCallback", payments(), providers(), reports(), refund_index())


@part
def accounts() -> AccountStore:
    config = settings()
    return _new("paygate.accounts.store:AccountStore", config.accounts_table, config.api_keys_table, dynamodb_client())


@part
def authorize() -> Authorize:
    return _new("paygate.accounts.authorize:Authorize", accounts(), utcnow)


@part
def api_keys() -> ApiKeys:
    return _new("paygate.accounts.manage:ApiKeys", accounts(), utcnow)


@part
def profiles() -> Profiles:
    return _new("paygate.accounts.manage:Profiles", accounts(), utcnow)


@part
def refund_index() -> RefundIndex:
    return _new("paygate.store.refunds:RefundIndex", settings().refunds_table, dynamodb_client(), clock=utcnow)


@part
def refunds() -> Refunds:
    return _new("paygate.lifecycle.refund:Refunds", payments(), refund_index(), providers(), reports(), utcnow)


@part
def idempotent_refund() -> IdempotentRefund:
    return _new("paygate.lifecycle.idempotent:IdempotentRefund", refunds(), _idempotency_store())


@part
def accept_payment() -> AcceptPayment:
    return _new("paygate.lifecycle.accept:AcceptPayment", payments(), utcnow)


@part
def choose_method() -> ChooseMethod:
    return _new("paygate.lifecycle.choose:ChooseMethod", providers(), attempts())


@part
def checkout() -> HostedCheckout:
    return _new("paygate.lifecycle.hosted:HostedCheckout", payments(), providers(), links(), utcnow,
                payment_methods(), choose_method(), accounts())  # fmt: skip


@part
def checker() -> Checker:
    from paygate.lifecycle.checks import Checker
    from paygate.providers.rate_limits import RateLimits

    config = settings()
    limits = RateLimits(config.idempotency_table, dynamodb_client(), config.rate_limits)
    return Checker(
        payments(), providers(), reports(), utcnow, rate_limits=limits, claim_seconds=config.due_claim_seconds
    )


def due_checks_queue() -> CheckQueue | None:
    """Where the scheduled run hands due checks over (DUE_CHECKS_QUEUE_URL); None: it checks them itself."""
    from paygate.lifecycle.due_checks import SqsCheckQueue

    url = settings().due_checks_queue_url
    return SqsCheckQueue(sqs_client(), url) if url else None


@part
def sqs_client() -> Any:
    return aws.client("sqs")


@part
def publisher() -> EventPublisher:
    return _new("paygate.publisher:EventPublisher", aws.client("events"), settings().event_bus_name)


@part
def webhooks() -> Webhooks:
    from paygate.webhooks.retry_queue import sqs_retries
    from paygate.webhooks.service import Webhooks
    from paygate.webhooks.store import WebhookStore

    config = settings()
    tables = config.webhook_endpoints_table, config.webhook_deliveries_table
    store = WebhookStore(*tables, dynamodb_client(), due_shards=config.due_shards, clock=utcnow)
    return Webhooks(
        store=store,
        clock=utcnow,
        sealer=_new("paygate.webhooks.sealing:SecretSealer", aws.client("kms"), config.webhook_secrets_key),
        retry_schedule=config.webhook_retry_schedule,
        lease_seconds=config.webhook_lease_seconds,
        allow_private=config.webhook_allow_private,
        enqueue_retry=sqs_retries(sqs_client(), config.webhook_queue_url) if config.webhook_queue_url else None,
    )


@part
def exports() -> Exports:
    config, s3 = settings(), aws.client("s3", config=aws.PRESIGNING)
    return _new("paygate.exports.service:Exports", config.exports_table, dynamodb_client(), s3, config.exports_bucket,
                sqs_client(), config.exports_queue_url, payments().account_pages, utcnow)  # fmt: skip


def reset() -> None:
    """Forget everything built so far (tests and the local stack change the environment between runs),
    the credentials Powertools holds included."""
    from aws_lambda_powertools.utilities import parameters

    for cached in _PARTS:
        cached.cache_clear()
    parameters.clear_caches()
