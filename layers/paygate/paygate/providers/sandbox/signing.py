"""The sandbox's callback signature: HMAC-SHA256 hex over `timestamp + "." + raw body`, keyed with the
webhook secret, sent as `Paygate-Signature: t=<unix seconds>,v1=<hex>`, refused more than 300 s from now."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "paygate-signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
