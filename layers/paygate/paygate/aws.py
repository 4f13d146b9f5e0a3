"""Every AWS client the gateway makes, with one botocore configuration.

botocore's defaults wait 60 s for a connection and 60 s for each read, and retry in the legacy mode:
one stuck call to DynamoDB or Secrets Manager would outlast any function's timeout, which is then an
answer lost. Their calls take milliseconds, so every client gives up on one within seconds and retries
the standard way (backoff with jitter, throttling included, under a retry quota), three attempts in all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

# botocore's `max_attempts` counts the retries: two, after the first attempt.
CONFIG = Config(connect_timeout=1, read_timeout=3, retries={"mode": "standard", "max_attempts": 2})
# For S3's pre-signed URLs: Signature Version 4, the only one every region takes.
PRESIGNING = Config(signature_version="s3v4")


def client(service_name: str, *, config: Config | None = None) -> Any:
    """`boto3.client(service_name)` with CONFIG, and `config`'s settings over it where a caller needs others."""
    return boto3.client(service_name, config=CONFIG.merge(config) if config else CONFIG)


def secrets() -> SecretsProvider:
    """Powertools' shared secrets provider (its cache, cleared by `parameters.clear_caches`), made with
    CONFIG: `parameters.get_secret` would make it with botocore's defaults."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider, base

    if "secrets" not in base.DEFAULT_PROVIDERS:
        base.DEFAULT_PROVIDERS["secrets"] = SecretsProvider(boto_config=CONFIG)
    return base.DEFAULT_PROVIDERS["secrets"]
