"""The hosted checkout's links: `<api>/checkout/<payment id>.<valid until>.<signature>`.

The link is the customer's only key to the page, so it is signed (HMAC-SHA256 with a key the stack keeps
in Secrets Manager) rather than guessable from the payment id, and it carries its own end: a day after
the payment's expiry, the page is gone. A link that is malformed, forged or past its end is simply not
found; which of these it was is never told."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime

from paygate.errors import CheckoutNotConfigured
from paygate.observability import logger
from paygate.timing import LATE_PAYMENT_WINDOW

# The customer may still come back to see how the payment ended, for as long as late payments are watched.
VALID_AFTER_EXPIRY = LATE_PAYMENT_WINDOW
CHECKOUT_PATH = "/checkout/"


def secret_key(secret_name: str, *, max_age: int) -> Callable[[], bytes]:
    """The key that signs the links: the stack's own secret, read when first needed and cached as
    credentials are (CheckoutNotConfigured when it cannot be read)."""

    def read() -> bytes:
        from aws_lambda_powertools.utilities import parameters

        from paygate import aws

        try:
            value = aws.secrets().get(secret_name, max_age=max_age)
        except parameters.exceptions.GetParameterError as error:
            logger.error("the checkout signing key cannot be read", secret=secret_name)
            raise CheckoutNotConfigured("Checkout links cannot be made right now") from error
        return str(value).encode()

    return read


class CheckoutLinks:
    def __init__(self, signing_key: Callable[[], bytes]):
        # Read when first needed: a function that never makes or opens a link never reads the secret.
        self._signing_key = signing_key

    def url(self, base_url: str, payment_id: str, expires_at: datetime) -> str:
        valid_until = int((expires_at + VALID_AFTER_EXPIRY).timestamp())
        return f"{base_url.rstrip('/')}{CHECKOUT_PATH}{payment_id}.{valid_until}.{self._sign(payment_id, valid_until)}"

    def payment_id(self, token: str, now: datetime) -> str | None:
        """The payment a link's token opens, or None (malformed, forged, or past its end)."""
        parts = token.split(".")
        if len(parts) != 3 or not parts[1].isascii() or not parts[1].isdigit() or len(parts[1]) > 12:
            return None
        payment_id, valid_until, signature = parts[0], int(parts[1]), parts[2]
        if not hmac.compare_digest(signature.encode(), self._sign(payment_id, valid_until).encode()):
            return None
        return payment_id if now.timestamp() < valid_until else None

    def _sign(self, payment_id: str, valid_until: int) -> str:
        mac = hmac.new(self._signing_key(), f"{payment_id}.{valid_until}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
