"""Settings, read once from the environment, and provider credentials, read from Secrets Manager.

Credentials live in one secret (JSON, one object per provider) and are fetched through Powertools
parameters, which caches them; they never appear in the template, in environment values or in logs."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from pydantic import BaseModel, Field

DEFAULT_BASE_URLS = {
    "sandbox": "http://127.0.0.1:3000/_sim/sandbox",
    "ivpay": "https://api.ivpay.io/api/v4",
    "paygentic": "https://api.paygentic.io",
    "nowpayments": "https://api.nowpayments.io",
    "payop": "https://api.payop.com",
}


class Settings(BaseModel):
    payments_table: str = "paygate-payments"
    idempotency_table: str = "paygate-idempotency"
    secret_name: str = "paygate/providers"
    secret_max_age_seconds: int = 300
    # Comma-separated in the environment; the order is the routing order when a request names no provider.
    enabled_providers: list[str] = Field(default_factory=lambda: ["sandbox"])
    base_urls: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_BASE_URLS))
    # Where providers send callbacks. Empty: derived from the API's own address on each create.
    public_base_url: str = ""
    provider_timeout_seconds: float = 10.0
    # The sparse `due-checks` index is written over this many shards so no partition runs hot.
    due_shards: int = 4

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for field in ("payments_table", "idempotency_table", "secret_name", "public_base_url"):
            if env.get(field.upper()):
                values[field] = env[field.upper()]
        for field in ("secret_max_age_seconds", "due_shards", "provider_timeout_seconds"):
            if env.get(field.upper()):
                values[field] = env[field.upper()]
        if env.get("ENABLED_PROVIDERS"):
            values["enabled_providers"] = [p.strip() for p in env["ENABLED_PROVIDERS"].split(",") if p.strip()]
        values["base_urls"] = {
            name: env.get(f"{name.upper()}_BASE_URL") or url for name, url in DEFAULT_BASE_URLS.items()
        }
        return cls.model_validate(values)


@cache
def settings() -> Settings:
    return Settings.from_env()


def provider_credentials(provider: str, settings: Settings) -> dict[str, str]:
    # Imported here: parameters pulls in its own boto3 session, needed only when a provider is used.
    from aws_lambda_powertools.utilities import parameters

    secret = parameters.get_secret(settings.secret_name, transform="json", max_age=settings.secret_max_age_seconds)
    return dict(secret.get(provider, {}))  # type: ignore[union-attr]
