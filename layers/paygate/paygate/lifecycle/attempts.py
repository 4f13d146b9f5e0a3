"""Creating a payment at its providers, write-ahead: shared by the merchant's create and the customer's
choice on the hosted page.

Before each provider is called, the record names it with a `pending` attempt (the first write is the
insert, conditional on the id being new; each next one also closes the previous attempt's outcome), so a
crash leaves a record to reconcile, never a provider payment Paygate does not know of. A routed attempt
goes through its provider's circuit and, when the failure is the provider's own, on to the next
provider; any other failure, or the last, ends the create: the payment fails, or, waiting for the
customer's choice, waits again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from paygate import deadline
from paygate.errors import PROVIDER_FAULTS, PaygateError, PaymentNotWaiting, ProviderUnavailable
from paygate.lifecycle import next_check
from paygate.lifecycle.status_machine import closed_attempts, with_status
from paygate.models import Attempt, AttemptOutcome, Clock, PaymentRecord, Status
from paygate.observability import count_for_provider
from paygate.providers.base import CreateContext, CreatedPayment, Provider
from paygate.providers.circuits import Circuits, is_open
from paygate.providers.request import CreatePaymentRequest
from paygate.store.payments import PaymentStore

logger = Logger(service="paygate", child=True)

# Failover goes on to the next provider only while it could still answer in time.
MIN_SECONDS_FOR_FAILOVER = 2.0
# The query of the hosted page's address when a provider sends the customer back to it.
RETURNED = "returned=1"
# How the last attempt ended: its outcome and error code.
Closing = tuple[AttemptOutcome, str | None]


@dataclass
class Attempts:
    payments: PaymentStore
    circuits: Circuits
    clock: Clock

    def create_at(
        self,
        record: PaymentRecord,
        providers: list[Provider],
        request: CreatePaymentRequest,
        base_url: str,
        *,
        routed: bool,
        stored: bool,
        waiting: bool = False,
    ) -> PaymentRecord:
        """Try `providers` in turn (see the module); `stored`: the record is written already; `waiting`:
        the customer chose on the hosted page, which the provider sends them back to."""
        last_error: PaygateError | None = None
        closing: Closing | None = None
        for provider in providers:
            left = deadline.remaining()
            if closing is not None and left is not None and left < MIN_SECONDS_FOR_FAILOVER:
                break  # no time to give the next provider a fair try: answer with the last failure
            record = self._begin(record, provider, request, closing, stored=stored)
            stored = True
            back = f"{record.checkout_url}?{RETURNED}"
            context = CreateContext(
                callback_url=f"{base_url.rstrip('/')}/ipn/{provider.name}",
                # Chosen on the hosted page, the customer comes back to it, and it sends them on.
                success_url=back if waiting else request.success_url,
                failure_url=back if waiting else request.failure_url,
            )
            try:
                if routed:
                    created = self.circuits.call(provider.name, provider.create, record, request, context)
                else:
                    created = provider.create(record, request, context)
            except PaygateError as error:
                last_error, closing = error, ("failed", error.code)
                if routed and not waiting and isinstance(error, PROVIDER_FAULTS):
                    logger.warning(
                        "provider failed at create; trying the next", provider=provider.name, code=error.code
                    )
                    continue
                break
            except Exception as error:
                if is_open(error):  # its circuit is open: it was not called
                    count_for_provider("ProviderSkipped", provider.name)
                    last_error = ProviderUnavailable(f"{provider.name} is failing; it is not being called for a while")
                    closing = ("skipped", "circuit_open")
                    continue
                self._end(record, ("failed", "internal_error"), "internal_error: the provider call failed")
                raise
            return self.payments.change(record, self._attach(created))
        assert last_error is not None and closing is not None
        self._end(record, closing, None if waiting else f"{last_error.code}: {last_error.message}")
        last_error.payment_id = record.id
        raise last_error

    def _begin(
        self,
        record: PaymentRecord,
        provider: Provider,
        request: CreatePaymentRequest,
        closing: Closing | None,
        *,
        stored: bool,
    ) -> PaymentRecord:
        now = self.clock()

        def begin(current: PaymentRecord) -> PaymentRecord:
            if stored and closing is None and (current.provider is not None or current.status is not Status.PENDING):
                raise PaymentNotWaiting("This payment is no longer waiting for a choice")
            expires_at = current.expires_at
            if current.request is None:  # routed or named: the provider's lifetime (a waiting payment keeps its own)
                expires_at = current.created_at + provider.lifetime(request)
            started = current.model_copy(
                update={
                    "provider": provider.name,
                    "expires_at": expires_at,
                    "attempts": [
                        *closed_attempts(current.attempts, closing),
                        Attempt(provider=provider.name, outcome="pending", at=now),
                    ],
                }
            )
            return started.model_copy(update={"due_at": next_check.first(started, provider.name, now)})

        if not stored:
            return self.payments.insert(begin(record))
        return self.payments.change(record, begin)

    def _end(self, record: PaymentRecord, closing: Closing, failure_reason: str | None) -> None:
        """No attempt took the payment: it fails with the last failure's reason or, waiting for the
        customer's choice (no reason), goes back to waiting (no provider) so another can be chosen."""

        def end(current: PaymentRecord) -> PaymentRecord | None:
            closed = current.model_copy(update={"attempts": closed_attempts(current.attempts, closing)})
            if failure_reason is None:
                waiting = closed.model_copy(update={"provider": None})
                return waiting.model_copy(update={"due_at": next_check.waiting(waiting)})
            return (
                with_status(closed, Status.FAILED, at=self.clock(), source="api", failure_reason=failure_reason)
                or closed
            )

        self.payments.change(record, end)

    def _attach(self, created: CreatedPayment) -> Callable[[PaymentRecord], PaymentRecord]:
        return lambda current: self._attached(current, created)

    def _attached(self, current: PaymentRecord, created: CreatedPayment) -> PaymentRecord:
        """The attempt's record, completed with what the provider answered to create."""
        attached = current.model_copy(
            update={
                **created.facts.model_dump(exclude_none=True),
                "provider_payment_id": created.provider_payment_id,
                "expires_at": created.expires_at or current.expires_at,
                "provider_data": {**current.provider_data, **created.data},
                "attempts": closed_attempts(current.attempts, ("succeeded", None)),
                "request": None,  # taken: nothing more will be created from it
            }
        )
        state = created.state
        if state.status is None:
            return attached
        moved = with_status(
            attached, state.status, at=self.clock(), source="api", provider_status=state.provider_status
        )
        return moved or attached
