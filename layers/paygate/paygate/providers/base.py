"""The one interface every provider implements, and the values that cross it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from paygate import deadline, wire
from paygate.errors import ProviderInvalidResponse, ProviderTimeout, ProviderUnavailable
from paygate.models import Clock, Money, Payment, PaymentMethod, ProviderFacts, Status
from paygate.observability import count_for_provider
from paygate.providers.request import CreatePaymentRequest
from paygate.refunds import Refund, RefundStatus
from paygate.settlement import Settlement
from paygate.timing import MIN_LIFETIME, bounded_lifetime

if TYPE_CHECKING:
    import requests


@dataclass(frozen=True)
class ProviderState:
    """What the provider says a payment's status is. `status` is None when the native status is unknown:
    the payment is then left as it is."""

    status: Status | None
    provider_status: str
    # How to pay, as far as this answer tells (NOWPayments repeats the address on every status).
    facts: ProviderFacts = field(default_factory=ProviderFacts)
    # The money, where the provider reports it: what it holds as the payment's price, and what was paid
    # (in the payment's currency or in its crypto `pay_currency`). The gateway checks both against the
    # payment before it believes a success.
    price: Money | None = None
    paid: Money | None = None
    # False only for a provider whose reports never carry the money (IVPAY): its word stands. Otherwise a
    # success or partial payment without a readable `paid` is not believed (see paygate.lifecycle.money).
    reports_money: bool = True
    # Its fee, the net it settles and what the customer actually sent, where it reports them.
    settlement: Settlement = field(default_factory=Settlement)

    @property
    def unreadable_payment(self) -> bool:
        """A report of money received whose amount cannot be read (missing, "NaN", not a number)."""
        return self.status in (Status.SUCCEEDED, Status.PARTIALLY_PAID) and self.reports_money and self.paid is None


@dataclass(frozen=True)
class RefundState:
    """What the provider says of a refund. `status` is None when its native status is unknown (the refund
    is then left as it is)."""

    status: RefundStatus | None
    provider_status: str
    provider_refund_id: str | None = None
    # Why it failed, as the provider says it (never a credential).
    failure_reason: str | None = None


@dataclass(frozen=True)
class RefundReport:
    """An authentic callback about a refund: ours (`refund_id`, sent as the provider's reference) or the
    provider's id for it, and its state. `state` is None for a hint (an unsigned callback): the gateway
    then asks `fetch_refund` and applies that answer instead."""

    state: RefundState | None
    refund_id: str | None = None
    provider_refund_id: str | None = None


@dataclass(frozen=True)
class CreatedPayment:
    """The provider's answer to create."""

    provider_payment_id: str
    state: ProviderState
    facts: ProviderFacts = field(default_factory=ProviderFacts)
    expires_at: datetime | None = None
    # Provider-only facts the adapter needs later (a transaction id, a token); never shown in the API.
    data: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallbackRequest:
    """A callback exactly as it arrived: headers (names lower-cased), raw body, the caller's address."""

    headers: Mapping[str, str]
    body: bytes
    source_ip: str


@dataclass(frozen=True)
class Callback:
    """A callback whose authenticity has been established.

    `state` is None for callbacks that are only a hint (unsigned ones): the gateway then asks the provider's
    status API and applies that answer instead."""

    payment_id: str | None = None
    provider_payment_id: str | None = None
    state: ProviderState | None = None
    event_id: str | None = None
    # A payment that belongs to another one (a re-deposit); it is recorded on its parent, never fulfils it.
    parent_payment_id: str | None = None
    # Authentic, but about nothing Paygate tracks (say, a customer event): acknowledged, changes nothing.
    ignored: bool = False
    # A callback about one of the payment's refunds rather than the payment itself.
    refund: RefundReport | None = None


@dataclass(frozen=True)
class CreateContext:
    callback_url: str
    success_url: str | None = None
    failure_url: str | None = None


class Provider(ABC):
    """A payment provider. Adapters take their HTTP session and clock in the constructor."""

    name: ClassVar[str]
    default_lifetime: ClassVar[timedelta]
    max_lifetime: ClassVar[timedelta]
    min_lifetime: ClassVar[timedelta] = MIN_LIFETIME

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Mapping[str, str],
        session: requests.Session | None = None,
        clock: Clock,
        timeout: float = 10.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self._session = session
        self.clock = clock
        self.timeout = timeout

    @property
    def session(self) -> requests.Session:
        """The HTTP session, made when the provider is first called: a function that only checks a signed
        callback never loads an HTTP client."""
        if self._session is None:
            from paygate.providers import http

            self._session = http.session()
        return self._session

    def secrets(self, key: str) -> list[str]:
        """The credential `key`, and during a rotation also `previous_<key>`: callbacks signed (or keyed)
        with either are accepted until the previous one is removed from the secret."""
        return [value for value in (self.credentials.get(key), self.credentials.get(f"previous_{key}")) if value]

    def accepts(self, request: CreatePaymentRequest) -> None:
        """Raise ValidationFailed for a request this provider cannot take; called before anything is
        written, and by routing to pass over a provider."""
        self.lifetime(request)
        self.check(request)

    def check(self, request: CreatePaymentRequest) -> None:  # noqa: B027 - most providers take anything
        """Raise ValidationFailed for what else this provider cannot take (currency, amount range...)."""

    def lifetime(self, request: CreatePaymentRequest) -> timedelta:
        """How long the payment may be paid: what the request asks (refused beyond this provider's bounds),
        else this provider's default."""
        longest = self.longest_lifetime(request)
        if request.lifetime is None:
            return min(self.default_lifetime, longest)
        return bounded_lifetime(request.lifetime, minimum=self.min_lifetime, maximum=longest, who=self.name)

    def longest_lifetime(self, request: CreatePaymentRequest) -> timedelta:
        """The longest this provider keeps a payment like `request` payable."""
        return self.max_lifetime

    def payment_methods(self, currency: str, amount: Decimal | None) -> list[PaymentMethod]:
        """What a customer could pay a payment of this currency (and amount) with at this provider; []
        for none. Raise a ProviderError when the provider cannot be asked (the list goes on without it)."""
        return []

    def with_method(self, request: CreatePaymentRequest, method: str) -> CreatePaymentRequest:
        """The request as it goes to this provider once the customer chose `method` (one of this
        provider's `payment_methods`) on the hosted page. Most providers need nothing more."""
        return request

    @abstractmethod
    def create(self, payment: Payment, request: CreatePaymentRequest, context: CreateContext) -> CreatedPayment:
        """Create the payment at the provider. Raise a ProviderError subclass on failure."""

    @abstractmethod
    def fetch(self, payment: Payment) -> ProviderState:
        """Ask the provider for the payment's current status."""

    def refund(self, payment: Payment, refund: Refund) -> RefundState:
        """Give `refund.amount` of the payment back through the provider, with our refund id as its
        reference (so a retry finds the same refund): only for providers whose spec lists
        Capability.REFUND. Raise ProviderRejected when it refuses, another ProviderError when the outcome
        is unknown (a timeout: `fetch_refund` then tells)."""
        raise NotImplementedError(f"{self.name} cannot refund through its API")

    def fetch_refund(self, payment: Payment, refund: Refund) -> RefundState:
        """Ask the provider what became of a refund; NotFound when it has none by our reference."""
        raise NotImplementedError(f"{self.name} cannot refund through its API")

    def cancel(self, payment: Payment) -> None:
        """Cancel the payment at the provider, so its customer can no longer pay it: only for providers
        whose spec lists Capability.CANCEL. Raise a ProviderError when it refuses or fails."""
        raise NotImplementedError(f"{self.name} cannot cancel a payment")

    @abstractmethod
    def verify_callback(self, request: CallbackRequest) -> Callback:
        """Authenticate a callback (raise AuthenticationFailed), then read it (raise InvalidRequest)."""

    # --- HTTP, shared by the adapters so that every provider fails the same clean way ---------------

    def request(self, method: str, path: str, *, base: str | None = None, **kwargs) -> requests.Response:
        """Call the provider: the whole exchange, connecting to the last byte of the answer, within the
        provider timeout and never past the invocation's deadline. Timeouts, unreachable hosts and 5xx
        answers become ProviderErrors; other answers are returned for the adapter to read in its own terms."""
        budget = self.timeout
        left = deadline.remaining()
        if left is not None:
            if left <= 0.05:
                raise ProviderTimeout(f"{self.name} was not called: no time was left to wait for it")
            budget = min(budget, left)
        import requests  # loaded by `self.session` already; here for its exceptions

        from paygate.providers import http

        count_for_provider("ProviderCalls", self.name)
        try:
            response = http.exchange(self.session, method, (base or self.base_url) + path, budget=budget, **kwargs)
        except requests.Timeout as error:
            count_for_provider("ProviderErrors", self.name)
            raise ProviderTimeout(f"{self.name} did not answer within {budget:.3g} s") from error
        except requests.RequestException as error:
            count_for_provider("ProviderErrors", self.name)
            raise ProviderUnavailable(f"{self.name} could not be reached") from error
        if response.status_code >= 500:
            count_for_provider("ProviderErrors", self.name)
            raise ProviderUnavailable(f"{self.name} answered HTTP {response.status_code}")
        return response

    def json(self, response: requests.Response, *, exact: bool = False) -> dict:
        """The response's JSON object (bounded: see paygate.wire), or ProviderInvalidResponse."""
        try:
            body = wire.loads(response.content, exact=exact)
        except ValueError as error:
            raise ProviderInvalidResponse(f"{self.name} answered HTTP {response.status_code} with no JSON") from error
        if not isinstance(body, dict):
            raise ProviderInvalidResponse(f"{self.name} answered HTTP {response.status_code} with unexpected JSON")
        return body
