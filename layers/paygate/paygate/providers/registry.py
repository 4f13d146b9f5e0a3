"""The enabled providers' adapters, built from their specs and the configuration, in routing order.

Credentials are read when a provider is first used, and read again once they are older than
SECRET_MAX_AGE_SECONDS (by the injected clock): a rotated secret takes effect without a deploy or a new
container. An enabled provider whose credentials are missing is a 503 `provider_not_configured`, and one
error log line naming what is missing (never a value)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn

from aws_lambda_powertools import Logger

from paygate.errors import NotFound, ProviderNotConfigured, ValidationFailed
from paygate.models import Clock, utcnow
from paygate.providers.base import Provider
from paygate.providers.catalog import SPECS, Capability, ProviderSpec
from paygate.providers.request import CreatePaymentRequest
from paygate.providers.routing import RoutingRule, providers_for

if TYPE_CHECKING:
    import requests

logger = Logger(service="paygate", child=True)


def adapter_class(spec: ProviderSpec) -> type[Provider]:
    adapter = spec.adapter
    if isinstance(adapter, str):
        module_name, _, class_name = adapter.partition(":")
        adapter = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(adapter, type) and issubclass(adapter, Provider)):
        raise TypeError(f"the {spec.name} spec names no Provider class")
    return adapter


@dataclass(frozen=True)
class ProviderSettings:
    """What a deployment says of its providers (paygate.config reads it from the environment)."""

    # The order is the routing order when a request names no provider.
    enabled: list[str] = field(default_factory=lambda: ["sandbox"])
    base_urls: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 6.0
    secret_max_age_seconds: int = 300
    routing_rules: list[RoutingRule] = field(default_factory=list)
    # Providers pointed at their own sandboxes here: test payments may go to them too.
    test_providers: list[str] = field(default_factory=list)


# Reads one provider's object of the credentials secret: `credentials(name, fresh=...)` (fresh: not cached).
CredentialReader = Callable[..., Mapping[str, str]]


class Registry:
    def __init__(
        self,
        settings: ProviderSettings,
        *,
        credentials: CredentialReader,
        session: requests.Session | None = None,
        clock: Clock = utcnow,
    ):
        self.settings = settings
        self._session = session
        self.clock = clock
        self.credentials = credentials
        self._providers: dict[str, Provider] = {}
        self._read_at: dict[str, datetime] = {}
        self._reported: set[str] = set()  # providers whose missing credentials were logged

    @property
    def session(self) -> requests.Session:
        """One HTTP session for every provider (its connections kept), made when the first adapter is:
        a function that calls no provider never imports `requests`."""
        if self._session is None:
            from paygate.providers import http

            self._session = http.session()
        return self._session

    @property
    def enabled(self) -> list[str]:
        return [name for name in self.settings.enabled if name in SPECS]

    def can(self, name: str | None, capability: Capability) -> bool:
        """Whether `name` is an enabled provider that can do `capability` here: its spec says so, and the
        credentials the capability needs are configured (read, as always, from the cached secret)."""
        if name not in self.enabled or capability not in SPECS[name].capabilities:
            return False
        needed = SPECS[name].capability_credentials.get(capability, ())
        if not needed:
            return True
        try:
            credentials = self._credentials(name, fresh=False)
        except ProviderNotConfigured:
            return False
        return all(credentials.get(key) for key in needed)

    def serves(self, name: str, *, livemode: bool) -> bool:
        """Whether a payment of this mode may go to `name`: a live one only to a live provider, a test one
        only to a provider of test money (the sandbox, or one this deployment points at its sandbox)."""
        if name not in SPECS:
            return False
        testing = not SPECS[name].live or name in self.settings.test_providers
        return not testing if livemode else testing

    def get(self, name: str) -> Provider:
        if name not in self.enabled:
            raise NotFound(f"No provider named {name!r} is enabled", code="unknown_provider")
        now = self.clock()
        max_age = timedelta(seconds=self.settings.secret_max_age_seconds)
        built = self._providers.get(name)
        if built is None or now - self._read_at[name] >= max_age:
            credentials = self._credentials(name, fresh=built is not None)
            if built is None or built.credentials != credentials:  # new, or rotated: a new adapter
                spec = SPECS[name]
                self._providers[name] = adapter_class(spec)(
                    base_url=self.settings.base_urls.get(name) or spec.base_url,
                    credentials=credentials,
                    session=self.session,
                    clock=self.clock,
                    timeout=self.settings.timeout_seconds,
                )
            self._read_at[name] = now
        return self._providers[name]

    def check(self) -> list[str]:
        """The enabled providers that cannot be used for want of credentials, each one logged as an error
        (the reason for the 503s that follow). Run once when a container starts, so a secret that was never
        created shows in the logs at deploy, not at the first customer's payment."""
        unusable = []
        for name in self.enabled:
            try:
                self._credentials(name, fresh=False)  # read and checked; no adapter is loaded for it
            except ProviderNotConfigured:
                unusable.append(name)
        return unusable

    def _credentials(self, name: str, *, fresh: bool) -> dict[str, Any]:
        try:
            credentials = dict(self.credentials(name, fresh=fresh))
        except Exception as error:  # no secret, no access to it, not JSON: the same for the merchant
            self._not_configured(name, "provider credentials cannot be read", error=type(error).__name__)
        missing = [key for key in SPECS[name].credentials if not credentials.get(key)]
        if missing:
            self._not_configured(name, "provider is enabled but its credentials are missing", missing_keys=missing)
        self._reported.discard(name)
        return credentials

    def _not_configured(self, name: str, reason: str, **detail: Any) -> NoReturn:
        """Logged as an error once per container (each request after it says `provider_not_configured`)."""
        if name not in self._reported:
            logger.error(reason, provider=name, **detail)
            self._reported.add(name)
        raise ProviderNotConfigured(f"The {name} provider is not configured")

    def route(self, request: CreatePaymentRequest, *, livemode: bool) -> list[Provider]:
        """The providers to try for a payment, in order: the one the request names, or those the routing
        rules give (paygate.providers.routing) that take it and its mode. A provider without credentials is
        passed over; if that leaves none, the payment cannot be taken here (503), else none takes it (422)."""
        if request.provider:
            if not self.can(request.provider, Capability.CREATE):
                raise ValidationFailed(f"provider {request.provider!r} is not enabled", param="provider")
            if not self.serves(request.provider, livemode=livemode):
                mode, other = ("live", "a test") if livemode else ("test", "a live")
                raise ValidationFailed(
                    f"provider {request.provider!r} does not take {mode} payments: use {other} key",
                    code="provider_mode_mismatch",
                    param="provider",
                )
            provider = self.get(request.provider)
            provider.accepts(request)
            return [provider]
        names = providers_for(
            self.settings.routing_rules,
            self.enabled,
            currency=request.currency,
            amount=Decimal(request.amount),
            pay_currency=request.pay_currency is not None,
            country=request.customer_country,
        )
        if names is None:
            raise ValidationFailed("no routing rule matches this payment", code="no_route")
        eligible, refusals, unconfigured = [], [], None
        usable = (name for name in names if self.can(name, Capability.CREATE) and self.serves(name, livemode=livemode))
        for name in usable:
            try:
                provider = self.get(name)
                provider.accepts(request)
            except ProviderNotConfigured as error:
                unconfigured = unconfigured or error
                continue
            except ValidationFailed as refusal:
                refusals.append(f"{name}: {refusal.message}")
                continue
            eligible.append(provider)
        if eligible:
            return eligible
        if unconfigured and not refusals:
            raise unconfigured
        if not refusals:
            mode = "live" if livemode else "test"
            raise ValidationFailed(f"no enabled provider takes {mode} payments like this one", code="no_route")
        raise ValidationFailed("no enabled provider accepts this payment (" + "; ".join(refusals) + ")")
