"""What a customer could pay with, across the enabled providers that can tell, in routing order. A
provider that cannot be asked right now is left out (and logged), not the whole answer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from aws_lambda_powertools import Logger

from paygate.errors import PaygateError
from paygate.models import PaymentMethod
from paygate.providers.catalog import Capability
from paygate.providers.registry import Registry

logger = Logger(service="paygate", child=True)


@dataclass
class PaymentMethods:
    providers: Registry

    def __call__(self, currency: str, amount: Decimal | None, *, livemode: bool) -> list[PaymentMethod]:
        """The methods of the providers that take payments of this mode."""
        found: list[PaymentMethod] = []
        for name in self.providers.enabled:
            listed = self.providers.can(name, Capability.LIST_METHODS)
            if not listed or not self.providers.serves(name, livemode=livemode):
                continue
            try:
                found += self.providers.get(name).payment_methods(currency, amount)
            except PaygateError as error:
                logger.warning("payment methods unavailable", provider=name, code=error.code, detail=error.message)
            except Exception:  # its credentials, say, could not be read: still no reason to fail the others
                logger.exception("payment methods unavailable", provider=name)
        return found
