"""The provider catalog: one `ProviderSpec` per provider, and nothing else.

Everything provider-specific outside the adapter derives from its spec: which names a request may name,
the default base URLs, the polling plans, the credentials a deployment must hold, the time budgets a test
checks against the functions' timeouts, and (locally) which simulator is mounted. Adding a provider is
one adapter module, one simulator module, one entry here, its page in docs/providers/ and its tests
(docs/adding-a-provider.md).

This module imports nothing of the adapters (they are named as "module:Class" and imported on first use),
so a function loads only the providers it calls, and `paygate.models` can read the catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paygate.providers.base import Provider


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
    # "package.module:Class" (imported on first use), or the class itself.
    adapter: str | type[Provider]
    # The production API; a deployment may point elsewhere with PROVIDER_BASE_URLS.
    base_url: str
    # Keys its object in the credentials secret must have, and keys it may have.
    credentials: tuple[str, ...]
    optional_credentials: tuple[str, ...] = ()
    polling: PollingPlan = field(default_factory=PollingPlan)
    # Provider calls one create, and one status check, can make (retries included): each may take the
    # whole provider timeout, so together they must fit the function's timeout (a test reads the template).
    create_calls: int = 1
    status_calls: int = 1
    # Due checks a second it is sent at most, across all checkers (None: no limit). No provider publishes
    # its limits: these are cautious, and PROVIDER_RATE_LIMITS sets a deployment's own.
    status_checks_per_second: float | None = 10.0


SPECS: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in (
        ProviderSpec(
            name="sandbox",
            title="Sandbox",
            adapter="paygate.providers.sandbox:SandboxProvider",
            # A path: the sandbox of test mode, on this gateway's own API (functions/sandbox).
            base_url="/_sim/sandbox",
            credentials=("api_key", "webhook_secret"),
            optional_credentials=("previous_webhook_secret",),
            status_checks_per_second=None,  # Paygate's own
        ),
        ProviderSpec(
            name="nowpayments",
            title="NOWPayments",
            adapter="paygate.providers.nowpayments:NowPaymentsProvider",
            base_url="https://api.nowpayments.io",
            credentials=("api_key", "ipn_secret"),
            optional_credentials=("previous_ipn_secret",),
            # On-chain payments confirm slowly: no use asking every minute.
            polling=PollingPlan(first=timedelta(minutes=2), every=timedelta(minutes=10)),
        ),
        ProviderSpec(
            name="payop",
            title="Payop",
            adapter="paygate.providers.payop:PayopProvider",
            base_url="https://api.payop.com",
            credentials=("public_key", "secret_key"),
            optional_credentials=("jwt", "ipn_allowlist", "checkout_url", "application_id", "previous_secret_key"),
            status_calls=2,  # the invoice, then its transaction
            status_checks_per_second=5.0,  # two calls each
        ),
        ProviderSpec(
            name="paygentic",
            title="Paygentic",
            adapter="paygate.providers.paygentic:PaygenticProvider",
            base_url="https://api.paygentic.io",
            credentials=("api_key", "webhook_secret"),
            optional_credentials=("merchant_id", "event_types", "previous_webhook_secret"),
            create_calls=2,  # one retry with the same idempotencyKey
        ),
        ProviderSpec(
            name="ivpay",
            title="IVPAY",
            adapter="paygate.providers.ivpay:IvpayProvider",
            base_url="https://api.ivpay.io/api/v4",
            credentials=("api_key",),
            optional_credentials=("lifetime_minutes", "previous_api_key"),
        ),
    )
}
