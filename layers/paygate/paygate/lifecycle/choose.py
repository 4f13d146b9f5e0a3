"""The customer's choice on the hosted page: create the waiting payment at the chosen provider, with its
stored request completed by the choice (a coin, a provider's own method). If the provider fails, the
payment goes on waiting (the page offers the others) and the error is raised."""

from __future__ import annotations

from dataclasses import dataclass

from paygate.errors import PaymentNotWaiting, ValidationFailed
from paygate.lifecycle.attempts import Attempts
from paygate.models import PaymentRecord, Status
from paygate.providers.catalog import Capability
from paygate.providers.registry import Registry
from paygate.providers.request import CreatePaymentRequest


def waiting_request(record: PaymentRecord) -> CreatePaymentRequest | None:
    """The create request a payment keeps while it waits for the customer's choice (None once taken)."""
    return CreatePaymentRequest.model_validate_json(record.request) if record.request else None


def is_waiting(record: PaymentRecord) -> bool:
    """Whether the payment still waits for the customer to choose how to pay."""
    return record.provider is None and record.request is not None and record.status is Status.PENDING


@dataclass
class ChooseMethod:
    providers: Registry
    attempts: Attempts

    def __call__(
        self, record: PaymentRecord, provider_name: str, request: CreatePaymentRequest, base_url: str
    ) -> PaymentRecord:
        if not is_waiting(record):
            raise PaymentNotWaiting("This payment is no longer waiting for a choice")
        usable = self.providers.serves(provider_name, livemode=record.livemode)
        if not usable or not self.providers.can(provider_name, Capability.CREATE):
            raise ValidationFailed(f"provider {provider_name!r} is not enabled", param="provider")
        provider = self.providers.get(provider_name)
        provider.accepts(request)
        return self.attempts.create_at(record, [provider], request, base_url, routed=True, stored=True, waiting=True)
