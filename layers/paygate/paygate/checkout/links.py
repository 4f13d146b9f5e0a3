"""The hosted checkout's links: `<api>/checkout/<payment id>.<valid until>.<signature>`.

The link is the customer's only key to the page, so it is signed (HMAC-SHA256 with a key the stack keeps
in Secrets Manager, rotated with an overlap: `SecretKeys`) rather than guessable from the payment id, and
it carries its own end: a day after the payment's expiry, the page is gone. A link that is malformed,
forged or past its end is simply not found; which of these it was is never told."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from datetime import datetime
from time import monotonic
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from paygate import aws, wire
from paygate.errors import CheckoutNotConfigured
from paygate.observability import logger
from paygate.timing import LATE_PAYMENT_WINDOW

# The customer may still come back to see how the payment ended, for as long as late payments are watched.
VALID_AFTER_EXPIRY = LATE_PAYMENT_WINDOW
CHECKOUT_PATH = "/checkout/"


class SecretKeys:
    """The keys of the links, from the stack's secret: its current version (AWSCURRENT) signs, and with the
    one before it (AWSPREVIOUS, kept by Secrets Manager when a new value is put) opens links, so links made
    before a rotation keep opening until the next one. Read when first needed, again after `max_age`
    (a rotation reaches every function without a deploy), and on a link that no key opens, at most every
    REREAD_SECONDS: a container that has not yet seen a rotation opens new links at once, and forged ones
    cost at most one read that often. CheckoutNotConfigured when the current key cannot be read."""

    REREAD_SECONDS = 30.0

    def __init__(self, secret_name: str, *, max_age: float, client: Any = None, clock: Callable[[], float] = monotonic):
        self.secret_name = secret_name
        self.max_age = max_age
        self._client = client
        self._clock = clock
        self._keys: list[bytes] = []
        self._read_at = 0.0

    def __call__(self) -> list[bytes]:
        """The current key first, then the previous one (when the secret was ever rotated)."""
        if not self._keys or self._clock() - self._read_at >= self.max_age:
            self._read()
        return self._keys

    def reread(self) -> list[bytes]:
        if self._clock() - self._read_at >= self.REREAD_SECONDS:
            self._read()
        return self._keys

    def _read(self) -> None:
        self._client = self._client or aws.client("secretsmanager")
        current, previous = self._version("AWSCURRENT"), self._version("AWSPREVIOUS")
        self._keys = [key.encode() for key in (current, previous) if key is not None]
        self._read_at = self._clock()

    def _version(self, stage: str) -> str | None:
        """One version's value; None when the secret has none at that stage (a previous, never rotated)."""
        try:
            return self._client.get_secret_value(SecretId=self.secret_name, VersionStage=stage)["SecretString"]
        except (BotoCoreError, ClientError) as error:
            if stage == "AWSPREVIOUS" and isinstance(error, self._client.exceptions.ResourceNotFoundException):
                return None
            logger.error("the checkout signing key cannot be read", secret=self.secret_name, stage=stage)
            raise CheckoutNotConfigured("Checkout links cannot be made right now") from error


class CheckoutLinks:
    def __init__(self, keys: Callable[[], Sequence[bytes]], *, reread: Callable[[], Sequence[bytes]] | None = None):
        # keys(): the key that signs first, then any that still open links (a rotation's previous key).
        # Read when first needed: a function that never makes or opens a link never reads the secret.
        self._keys = keys
        self._reread = reread

    def url(self, base_url: str, payment_id: str, expires_at: datetime) -> str:
        valid_until = int((expires_at + VALID_AFTER_EXPIRY).timestamp())
        signature = self._sign(self._keys()[0], payment_id, valid_until)
        return f"{base_url.rstrip('/')}{CHECKOUT_PATH}{payment_id}.{valid_until}.{signature}"

    def payment_id(self, token: str, now: datetime) -> str | None:
        """The payment a link's token opens, or None (malformed, forged, or past its end)."""
        parts = token.split(".")
        valid_until = wire.unix_seconds(parts[1]) if len(parts) == 3 else None
        if valid_until is None or parts[1] != str(valid_until):  # one spelling per link: no "01767..."
            return None
        payment_id, signature = parts[0], parts[2]
        if now.timestamp() >= valid_until:
            return None
        if self._signed(signature, self._keys(), payment_id, valid_until):
            return payment_id
        # Perhaps signed with a key put since the keys were read
        if self._reread and self._signed(signature, self._reread(), payment_id, valid_until):
            return payment_id
        return None

    def _signed(self, signature: str, keys: Sequence[bytes], payment_id: str, valid_until: int) -> bool:
        expected = [self._sign(key, payment_id, valid_until).encode() for key in keys]
        return any(hmac.compare_digest(signature.encode(), candidate) for candidate in expected)

    @staticmethod
    def _sign(key: bytes, payment_id: str, valid_until: int) -> str:
        mac = hmac.new(key, f"{payment_id}.{valid_until}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
