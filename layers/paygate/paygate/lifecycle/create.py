"""Create a payment. Naming a provider binds it there. Naming none, routing gives the eligible providers
and each is tried in turn while the failure is the provider's own (failover, paygate.lifecycle.attempts).
Giving `methods` calls no provider: the payment waits, `provider: null`, for the customer's choice on the
hosted page (paygate.lifecycle.choose)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from paygate.accounts.models import Merchant
from paygate.checkout.links import CheckoutLinks
from paygate.lifecycle import next_check
from paygate.lifecycle.attempts import Attempts
from paygate.models import Clock, HistoryEntry, PaymentRecord, Status, new_payment_id
from paygate.providers.registry import Registry
from paygate.providers.request import CreatePaymentRequest
from paygate.store.payments import PaymentStore
from paygate.timing import MIN_LIFETIME, bounded_lifetime

# How long a payment waits for the customer's choice on the hosted page, unless `expires_in` says.
WAITING_LIFETIME = timedelta(hours=1)
WAITING_MAX_LIFETIME = timedelta(hours=24)


@dataclass
class CreatePayment:
    payments: PaymentStore
    providers: Registry
    attempts: Attempts
    links: CheckoutLinks
    clock: Clock

    def __call__(self, request: CreatePaymentRequest, *, account_id: str, callback_base_url: str) -> PaymentRecord:
        """`account_id` is the merchant's scope: its account, in the mode of the key that asks."""
        if request.methods:
            record = self._new_record(request, account_id, callback_base_url, lifetime=waiting_lifetime(request))
            waiting = record.model_copy(update={"request": request.model_dump_json(exclude_none=True)})
            return self.payments.insert(waiting.model_copy(update={"due_at": next_check.waiting(waiting)}))
        providers = self.providers.route(request, livemode=Merchant.of_scope(account_id).livemode)
        record = self._new_record(request, account_id, callback_base_url, lifetime=providers[0].lifetime(request))
        return self.attempts.create_at(
            record, providers, request, callback_base_url, routed=request.provider is None, stored=False
        )

    def _new_record(
        self, request: CreatePaymentRequest, account_id: str, base_url: str, *, lifetime: timedelta
    ) -> PaymentRecord:
        now = self.clock()
        payment_id = new_payment_id()
        expires_at = now + lifetime
        return PaymentRecord(
            id=payment_id,
            account_id=account_id,
            livemode=Merchant.of_scope(account_id).livemode,
            status=Status.PENDING,
            amount=request.amount,
            currency=request.currency,
            provider=None,
            methods=request.methods,
            checkout_url=self.links.url(base_url, payment_id, expires_at),
            pay_currency=request.pay_currency.lower() if request.pay_currency else None,
            reference=request.reference,
            description=request.description,
            metadata=request.metadata or {},
            success_url=request.success_url,
            failure_url=request.failure_url,
            created_at=now,
            updated_at=now,
            expires_at=expires_at,
            history=[HistoryEntry(status=Status.PENDING, at=now, source="api")],
        )


def waiting_lifetime(request: CreatePaymentRequest) -> timedelta:
    """How long a payment waiting for the customer's choice may be paid: what `expires_in` asks, within
    MIN_LIFETIME and WAITING_MAX_LIFETIME."""
    if request.lifetime is None:
        return WAITING_LIFETIME
    who = "a payment waiting for the customer's choice"
    return bounded_lifetime(request.lifetime, minimum=MIN_LIFETIME, maximum=WAITING_MAX_LIFETIME, who=who)
