"""Settings, read once from the environment, and provider credentials, read from Secrets Manager.

Credentials live in one secret (JSON, one object per provider) and are fetched through Powertools
parameters, which caches them; they never appear in the template, in environment values or in logs.
The names of the tables and the bus have no defaults: a function deployed without them fails at once,
not at its first write to a table that does not exist."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, ValidationError

from paygate.providers.catalog import SPECS
from paygate.providers.routing import RoutingRule, RoutingRulesError, parse_rules

if TYPE_CHECKING:
    from paygate.providers.registry import ProviderSettings


class Settings(BaseModel):
    payments_table: str = Field(min_length=1)
    idempotency_table: str = Field(min_length=1)
    event_bus_name: str = Field(min_length=1)
    webhook_endpoints_table: str = Field(min_length=1)
    webhook_deliveries_table: str = Field(min_length=1)
    # Where each refund is found by its id (the refund itself lives on its payment's record).
    refunds_table: str = Field(min_length=1)
    # Merchant accounts, and their API keys (hashed).
    accounts_table: str = Field(min_length=1)
    api_keys_table: str = Field(min_length=1)
    # What reconciliation could not repair (only its functions have it).
    differences_table: str = ""
    # Providers this deployment points at their own sandboxes: test keys may use them too (TEST_PROVIDERS).
    test_providers: list[str] = Field(default_factory=list)
    # Where short webhook retries are queued (SQS, with a delay); empty: the scheduled run alone retries.
    webhook_queue_url: str = ""
    # Seconds to wait before each retry of a failed webhook delivery; after the last, the delivery failed.
    webhook_retry_schedule: list[float] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0]
    )
    # How long an attempt holds its delivery; a worker that dies mid-attempt gives it back after this.
    webhook_lease_seconds: float = 60.0
    # The KMS key that seals webhook endpoints' signing secrets (its ARN, id or alias); only the functions
    # that register endpoints (encrypt) and deliver to them (decrypt) have it.
    webhook_secrets_key: str = ""
    # Exports (POST /exports): their records, the bucket their files go to, the queue of the worker that
    # writes them. Only the exports functions are given them.
    exports_table: str = ""
    exports_bucket: str = ""
    exports_queue_url: str = ""
    # Local development only: deliver to private and loopback addresses, over http too.
    webhook_allow_private: bool = False
    secret_name: str = "paygate/providers"
    # The sandbox's own secret (`api_key`, `webhook_secret`), apart from the real providers' so that the
    # public sandbox function reads nothing else; empty: the `sandbox` object of `secret_name`.
    sandbox_secret_name: str = ""
    secret_max_age_seconds: int = 300
    # The order is the routing order when a request names no provider.
    enabled_providers: list[str] = Field(default_factory=lambda: ["sandbox"])
    # Every provider's production API unless overridden (the local stack points them at its simulators).
    base_urls: dict[str, str] = Field(default_factory=lambda: {name: spec.base_url for name, spec in SPECS.items()})
    # Where providers send callbacks. Empty: derived from the API's own address on each create.
    public_base_url: str = ""
    # One provider call's limit. Every provider's calls per create or status check, times this, must fit
    # the calling function's timeout (checked by a test that reads template.yaml).
    provider_timeout_seconds: float = 6.0
    # The sparse `due-checks` index is written over this many shards so no partition runs hot.
    due_shards: int = 4
    # Which providers take a payment that names none, in order (ROUTING_RULES, JSON; paygate.providers.routing).
    routing_rules: list[RoutingRule] = Field(default_factory=list)
    # A routed provider failing this many creates in a row (timeouts, 5xx, unreadable answers) is skipped
    # for `circuit_recovery_seconds`, then tried again.
    circuit_failure_threshold: int = Field(default=5, ge=1)
    circuit_recovery_seconds: int = Field(default=60, ge=1)
    # The secret whose value signs the hosted checkout links (made by the stack).
    checkout_secret_name: str = "paygate/checkout"
    # Where the scheduled run hands due checks to the checkers (SQS). Empty: it checks them itself.
    due_checks_queue_url: str = ""
    # How long a handed-over check holds its payment: not handed over again before this, unless checked.
    due_claim_seconds: int = Field(default=300, ge=60)
    # Status checks a second each provider is sent at most, across all checkers (PROVIDER_RATE_LIMITS,
    # `name=rate,...`, over each spec's `status_checks_per_second`); a provider not named has no limit.
    rate_limits: dict[str, Annotated[float, Field(gt=0, allow_inf_nan=False)]] = Field(
        default_factory=lambda: {
            name: spec.status_checks_per_second for name, spec in SPECS.items() if spec.status_checks_per_second
        }
    )

    def providers(self) -> ProviderSettings:
        from paygate.providers.registry import ProviderSettings

        return ProviderSettings(
            enabled=self.enabled_providers,
            base_urls=self.base_urls,
            timeout_seconds=self.provider_timeout_seconds,
            secret_max_age_seconds=self.secret_max_age_seconds,
            routing_rules=self.routing_rules,
            test_providers=self.test_providers,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """From PAYMENTS_TABLE, IDEMPOTENCY_TABLE, EVENT_BUS_NAME, SECRET_NAME, ENABLED_PROVIDERS
        (comma-separated), PROVIDER_BASE_URLS (`name=url,name=url`), PUBLIC_BASE_URL, ..."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {
            name: env[name.upper()] for name in cls.model_fields if env.get(name.upper()) and name not in _LISTS
        }
        if env.get("ENABLED_PROVIDERS"):
            values["enabled_providers"] = _split(env["ENABLED_PROVIDERS"])
        if env.get("TEST_PROVIDERS"):
            values["test_providers"] = _split(env["TEST_PROVIDERS"])
        if env.get("WEBHOOK_RETRY_SCHEDULE"):
            values["webhook_retry_schedule"] = _split(env["WEBHOOK_RETRY_SCHEDULE"])
        try:
            values["routing_rules"] = parse_rules(
                env.get("ROUTING_RULES", ""), enabled=values.get("enabled_providers", ["sandbox"])
            )
        except RoutingRulesError as error:
            raise RuntimeError(f"Paygate is not configured: {error}") from None
        overrides = dict(entry.split("=", 1) for entry in _split(env.get("PROVIDER_BASE_URLS", "")) if "=" in entry)
        values["base_urls"] = {name: overrides.get(name) or spec.base_url for name, spec in SPECS.items()}
        rates = dict(entry.split("=", 1) for entry in _split(env.get("PROVIDER_RATE_LIMITS", "")) if "=" in entry)
        values["rate_limits"] = {
            name: rates.get(name) or spec.status_checks_per_second
            for name, spec in SPECS.items()
            if rates.get(name) or spec.status_checks_per_second
        }
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            missing = ", ".join(".".join(map(str, e["loc"])).upper() for e in error.errors())
            raise RuntimeError(f"Paygate is not configured: set {missing} in the environment") from error


_LISTS = {"enabled_providers", "test_providers", "base_urls", "webhook_retry_schedule", "routing_rules", "rate_limits"}


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@cache
def settings() -> Settings:
    return Settings.from_env()


def credential_reader(settings: Settings) -> Callable[..., dict[str, str]]:
    """Reads one provider's credentials, `read(provider, fresh=False)`, from the deployment's secret."""

    def read(provider: str, *, fresh: bool = False) -> dict[str, str]:
        return provider_credentials(provider, settings, fresh=fresh)

    return read


def provider_credentials(provider: str, settings: Settings, *, fresh: bool = False) -> dict[str, str]:
    """One provider's object of the credentials secret (cached; `fresh`: read it again now)."""
    from paygate import aws

    own = provider == "sandbox" and settings.sandbox_secret_name
    name = settings.sandbox_secret_name if own else settings.secret_name
    secret = aws.secrets().get(name, transform="json", max_age=settings.secret_max_age_seconds, force_fetch=fresh)
    return dict(secret if own else secret.get(provider, {}))  # type: ignore[union-attr, arg-type]
