"""Payop's signatures: SHA-256 hex of the parts joined by ':', the secret key last. Create signs
`amount:currency:order id:secret`; a legacy (v1) IPN `amount:currency:orderId:status:secret`."""

from __future__ import annotations

import hashlib


def sign(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()
