"""The enabled providers' adapters, built from their specs and the configuration, in routing order."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

import requests

from paygate.config import Settings, provider_credentials
from paygate.errors import NotFound, ValidationFailed
from paygate.models import CreatePaymentRequest, utcnow
from paygate.providers import SPECS, PollingPlan, ProviderSpec
from paygate.providers.base import Clock, Provider


def adapter_class(spec: ProviderSpec) -> type[Provider]:
    if isinstance(spec.adapter, str):
        module_name, _, class_name = spec.adapter.partition(":")
        return getattr(importlib.import_module(module_name), class_name)
    return spec.adapter


def polling_plan(provider: str) -> PollingPlan:
    spec = SPECS.get(provider)
    return spec.polling if spec else PollingPlan()


class Registry:
    def __init__(
        self,
        settings: Settings,
        *,
        session: requests.Session | None = None,
        clock: Clock = utcnow,
        credentials: Callable[[str, Settings], Mapping[str, str]] = provider_credentials,
    ):
        self.settings = settings
        self.session = session or requests.Session()
        self.clock = clock
        self.credentials = credentials
        self._providers: dict[str, Provider] = {}

    @property
    def enabled(self) -> list[str]:
        return [name for name in self.settings.enabled_providers if name in SPECS]

    def get(self, name: str) -> Provider:
        if name not in self.enabled:
            raise NotFound(f"No provider named {name!r} is enabled", code="unknown_provider")
        if name not in self._providers:
            spec = SPECS[name]
            self._providers[name] = adapter_class(spec)(
                base_url=self.settings.base_urls.get(name, spec.base_url),
                credentials=self.credentials(name, self.settings),
                session=self.session,
                clock=self.clock,
                timeout=self.settings.provider_timeout_seconds,
            )
        return self._providers[name]

    def route(self, request: CreatePaymentRequest) -> Provider:
        """The provider the request names, or the first enabled one that accepts it."""
        if request.provider:
            if request.provider not in self.enabled:
                raise ValidationFailed(f"provider {request.provider!r} is not enabled", param="provider")
            provider = self.get(request.provider)
            provider.accepts(request)
            return provider
        refusals = []
        for name in self.enabled:
            provider = self.get(name)
            try:
                provider.accepts(request)
            except ValidationFailed as refusal:
                refusals.append(f"{name}: {refusal.message}")
                continue
            return provider
        raise ValidationFailed("no enabled provider accepts this payment (" + "; ".join(refusals) + ")")
