"""The provider catalog: one `ProviderSpec` per provider, and nothing else.

Everything provider-specific outside the adapter derives from its spec: which names a request may name,
what it can do (its capabilities: callers ask those, never a provider's name), the options a request may
carry for it, the default base URLs, the polling plans, the credentials a deployment must hold, and the
time budgets a test checks against the functions' timeouts. Adding a provider is one folder
(`providers/<name>/`: its adapter, options, signing), one entry here, one simulator, its page in
docs/providers/ and its tests (docs/adding-a-provider.md).

This module imports nothing of the adapters (they are named as "module:Class" and imported on first use),
so a function loads only the providers it calls; it imports their options models, which are pydantic
only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel

from paygate.providers.nowpayments.options import NowPaymentsOptions
from paygate.providers.paygentic.options import PaygenticOptions
from paygate.providers.payop.options import PayopOptions


class Capability(StrEnum):
    """What a provider can be asked to do through its API."""

    CREATE = "create"  # create a payment
    FETCH = "fetch"  # read a payment's status: force_sync, due checks, confirming an unsigned callback
    LIST_METHODS = "list_methods"  # tell the ways a customer could pay (GET /payment-methods, the hosted page)
    CANCEL = "cancel"  # cancel an open payment, so the customer can no longer pay it
    REFUND = "refund"  # give money back


# What every provider of the catalog can do: create, read, list methods. None documents a cancel call;
# a provider with a refund API adds REFUND (without it, refunds are manual: the merchant confirms them).
PAYMENTS = frozenset({Capability.CREATE, Capability.FETCH, Capability.LIST_METHODS})


@dataclass(frozen=True)
class PollingPlan:
    """When the sweeper checks a payment it has not heard about: `first` after creation (a write-ahead
    record whose create never finished is failed then), and every `every` after that."""

    first: timedelta = timedelta(minutes=1)
    every: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    # As a customer reads it (the hosted checkout page).
    title: str
    # Its `Provider` class (paygate.providers.base), as "package.module:Class" (imported on first use), or
    # the class itself.
    adapter: str | type
    # The production API; a deployment may point elsewhere with PROVIDER_BASE_URLS.
    base_url: str
    # Keys its object in the credentials secret must have, and keys it may have.
    credentials: tuple[str, ...]
    capabilities: frozenset[Capability] = PAYMENTS
    # False: it moves no real money (the sandbox): only test keys reach it, and never live ones.
    live: bool = True
    # Credentials a capability needs beyond `credentials` (optional ones): without them the provider
    # cannot do it here, and callers take the path for providers that cannot (a manual refund, say).
    capability_credentials: Mapping[Capability, tuple[str, ...]] = field(default_factory=dict)
    # The model of `provider_options.<name>` in a create request (None: it takes none).
    options: type[BaseModel] | None = None
    optional_credentials: tuple[str, ...] = ()
    polling: PollingPlan = field(default_factory=PollingPlan)
    # Provider calls one create, and one status check, can make (retries included): each may take the
    # whole provider timeout, so together they must fit the function's timeout (a test reads the template).
    create_calls: int = 1
    status_calls: int = 1
    # Provider calls one refund can make through its API (with REFUND); when its outcome is unknown, one
    # refund status call follows.
    refund_calls: int = 1
    # Due checks a second it is sent at most, across all checkers (None: no limit). No provider publishes
    # its limits: these are cautious, and PROVIDER_RATE_LIMITS sets a deployment's own.
    status_checks_per_second: float | None = 10.0


SPECS: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in (
        ProviderSpec(
            name="sandbox",
            title="Sandbox",
            adapter="paygate.providers.sandbox.adapter:SandboxProvider",
            capabilities=PAYMENTS | {Capability.REFUND},
            live=False,
            # A path: the sandbox of test mode, on this gateway's own API (functions/sandbox).
            base_url="/_sim/sandbox",
            credentials=("api_key", "webhook_secret"),
            optional_credentials=("previous_webhook_secret",),
            status_checks_per_second=None,  # Paygate's own
        ),
        ProviderSpec(
            name="nowpayments",
            title="NOWPayments",
            adapter="paygate.providers.nowpayments.adapter:NowPaymentsProvider",
            options=NowPaymentsOptions,
            base_url="https://api.nowpayments.io",
            credentials=("api_key", "ipn_secret"),
            optional_credentials=("previous_ipn_secret",),
            # On-chain payments confirm slowly: no use asking every minute.
            polling=PollingPlan(first=timedelta(minutes=2), every=timedelta(minutes=10)),
        ),
        ProviderSpec(
            name="payop",
            title="Payop",
            adapter="paygate.providers.payop.adapter:PayopProvider",
            options=PayopOptions,
            capabilities=PAYMENTS | {Capability.REFUND},
            # Payop's refund API takes the JWT: without one, its refunds are manual.
            capability_credentials={Capability.REFUND: ("jwt",)},
            base_url="https://api.payop.com",
            credentials=("public_key", "secret_key"),
            optional_credentials=("jwt", "ipn_allowlist", "checkout_url", "application_id", "previous_secret_key"),
            status_calls=2,  # the invoice, then its transaction
            refund_calls=2,  # the invoice (for its transaction id), then the refund
            status_checks_per_second=5.0,  # two calls each
        ),
        ProviderSpec(
            name="paygentic",
            title="Paygentic",
            adapter="paygate.providers.paygentic.adapter:PaygenticProvider",
            options=PaygenticOptions,
            base_url="https://api.paygentic.io",
            credentials=("api_key", "webhook_secret"),
            optional_credentials=("merchant_id", "event_types", "previous_webhook_secret"),
            create_calls=2,  # one retry with the same idempotencyKey
        ),
        ProviderSpec(
            name="ivpay",
            title="IVPAY",
            adapter="paygate.providers.ivpay.adapter:IvpayProvider",
            base_url="https://api.ivpay.io/api/v4",
            credentials=("api_key",),
            optional_credentials=("lifetime_minutes", "previous_api_key"),
        ),
    )
}


def polling_plan(provider: str | None) -> PollingPlan:
    """The provider's polling plan (the default one for a payment no provider has yet)."""
    spec = SPECS.get(provider) if provider else None
    return spec.polling if spec else PollingPlan()
