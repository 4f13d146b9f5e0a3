"""What the tests build, in one place: stored payments, signed callbacks of every provider, the use cases
wired to a table and a clock, canned provider answers, and the status rules written out by hand."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from local import simulators, template
from paygate.accounts.models import Merchant
from paygate.accounts.store import AccountStore
from paygate.checkout.links import CheckoutLinks
from paygate.config import Settings
from paygate.lifecycle.accept import AcceptPayment
from paygate.lifecycle.attempts import Attempts
from paygate.lifecycle.callback import ApplyCallback
from paygate.lifecycle.cancel import CancelPayment
from paygate.lifecycle.checks import Checker
from paygate.lifecycle.choose import ChooseMethod
from paygate.lifecycle.create import CreatePayment
from paygate.lifecycle.hosted import HostedCheckout
from paygate.lifecycle.listing import ListPayments
from paygate.lifecycle.methods import PaymentMethods
from paygate.lifecycle.refund import Refunds
from paygate.lifecycle.reports import Reports
from paygate.lifecycle.sync import ReadPayment
from paygate.models import HistoryEntry, PaymentRecord, Status
from paygate.providers.base import CallbackRequest
from paygate.providers.circuits import Circuits
from paygate.providers.nowpayments import signing as nowpayments
from paygate.providers.paygentic import signing as paygentic
from paygate.providers.rate_limits import RateLimits
from paygate.providers.registry import Registry
from paygate.providers.sandbox import signing as sandbox
from paygate.store.payments import PaymentStore
from paygate.store.refunds import RefundIndex

TABLES = {
    "PaymentsTable": "paygate-payments",
    "IdempotencyTable": "paygate-idempotency",
    "WebhookEndpointsTable": "paygate-webhook-endpoints",
    "WebhookDeliveriesTable": "paygate-webhook-deliveries",
    "ExportsTable": "paygate-exports",
    "RefundsTable": "paygate-refunds",
    "AccountsTable": "paygate-accounts",
    "ApiKeysTable": "paygate-api-keys",
    "DifferencesTable": "paygate-differences",
}
EVENT_BUS = "paygate-test-payments"
SECRET_NAME = "paygate/providers"
# The development credentials the simulators hold (and the local stack stores for the adapters).
CREDENTIALS = simulators.credentials()
DEFAULT_NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
CHECKOUT_KEY = b"checkout-links-test-key"
CHECKOUT_SECRET_NAME = "paygate/checkout"
# The KMS key that seals webhook secrets, as the stack makes it (named by its alias).
WEBHOOK_SECRETS_KEY = "alias/paygate-webhook-secrets"
# What tests act for: a merchant account in test mode (the scope its payments are kept under), as the
# local stack's keys are; in the tests' settings every provider takes test payments, as locally.
ACCOUNT = Merchant("acct_test", livemode=False).scope

S = Status
# The rules of the status machine, written out by hand, not computed by the code under test.
ALLOWED = {
    S.PENDING: {S.PROCESSING, S.PARTIALLY_PAID, S.SUCCEEDED, S.FAILED, S.EXPIRED, S.CANCELLED},
    S.PROCESSING: {S.PARTIALLY_PAID, S.SUCCEEDED, S.FAILED, S.EXPIRED, S.CANCELLED},
    S.PARTIALLY_PAID: {S.SUCCEEDED, S.FAILED, S.EXPIRED, S.CANCELLED},
    S.SUCCEEDED: set(),
    S.FAILED: {S.SUCCEEDED},
    S.EXPIRED: {S.SUCCEEDED},
    S.CANCELLED: {S.SUCCEEDED},
}
PAID_LATE_FROM = {S.FAILED, S.EXPIRED, S.CANCELLED}


class FixedClock:
    """A clock the test moves by hand: no test waits on the real one."""

    def __init__(self, now: datetime | None = None):
        self.now = now or DEFAULT_NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


# --- configuration ------------------------------------------------------------------------------


def environment() -> dict[str, str]:
    """What a deployed function's environment names (the handlers read their settings from it)."""
    return {
        "PAYMENTS_TABLE": TABLES["PaymentsTable"],
        "IDEMPOTENCY_TABLE": TABLES["IdempotencyTable"],
        "EVENT_BUS_NAME": EVENT_BUS,
        "SECRET_NAME": SECRET_NAME,
        "CHECKOUT_SECRET_NAME": CHECKOUT_SECRET_NAME,
        "WEBHOOK_ENDPOINTS_TABLE": TABLES["WebhookEndpointsTable"],
        "WEBHOOK_DELIVERIES_TABLE": TABLES["WebhookDeliveriesTable"],
        "EXPORTS_TABLE": TABLES["ExportsTable"],
        "REFUNDS_TABLE": TABLES["RefundsTable"],
        "ACCOUNTS_TABLE": TABLES["AccountsTable"],
        "API_KEYS_TABLE": TABLES["ApiKeysTable"],
        "DIFFERENCES_TABLE": TABLES["DifferencesTable"],
        "WEBHOOK_SECRETS_KEY": WEBHOOK_SECRETS_KEY,
    }


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "payments_table": TABLES["PaymentsTable"],
        "idempotency_table": TABLES["IdempotencyTable"],
        "event_bus_name": EVENT_BUS,
        "webhook_endpoints_table": TABLES["WebhookEndpointsTable"],
        "webhook_deliveries_table": TABLES["WebhookDeliveriesTable"],
        "refunds_table": TABLES["RefundsTable"],
        "accounts_table": TABLES["AccountsTable"],
        "api_keys_table": TABLES["ApiKeysTable"],
        "differences_table": TABLES["DifferencesTable"],
        "enabled_providers": list(CREDENTIALS),
        # Every enabled provider takes test payments, as the local stack's simulators do.
        "test_providers": overrides.get("enabled_providers", list(CREDENTIALS)),
        # Tests talk to a sandbox somewhere, not to one on an API of their own.
        "base_urls": {**Settings.model_fields["base_urls"].default_factory(), "sandbox": "https://sandbox.test"},  # type: ignore[misc,call-arg]
        **overrides,
    }
    return Settings(**values)


def new_table(client: Any) -> str:
    """A payments table of the template's shape under a name of its own (so a test sees only its items)."""
    name = f"payments-{uuid.uuid4().hex[:8]}"
    template.create_tables(client, {"PaymentsTable": name})
    return name


def registry(
    clock: Any,
    *,
    enabled: list[str] | None = None,
    credentials: Mapping[str, Mapping[str, str]] = CREDENTIALS,
    session: requests.Session | None = None,
    config: Settings | None = None,
) -> Registry:
    """The providers built from the catalog with `credentials` (the simulators' by default), talking
    through `session` (a FakeSession for canned answers), on the test's clock; the deployment's settings
    are `config`, or the tests' with those providers enabled."""
    config = config or settings(enabled_providers=enabled or list(credentials))
    return Registry(
        config.providers(),
        credentials=lambda name, **_: dict(credentials.get(name, {})),
        session=session,
        clock=clock,
    )


@dataclass
class Lifecycle:
    """Every use case on one payments table, wired as paygate.service wires them, with the test's clock
    and providers."""

    payments: PaymentStore
    providers: Registry
    clock: Any
    config: Settings = field(default_factory=lambda: settings())

    def __post_init__(self) -> None:
        client = self.payments.client
        config = self.config
        self.links = CheckoutLinks(lambda: [CHECKOUT_KEY])
        self.circuits = Circuits(
            TABLES["IdempotencyTable"],
            client,
            failure_threshold=config.circuit_failure_threshold,
            recovery_seconds=config.circuit_recovery_seconds,
        )
        self.reports = Reports(self.payments, self.clock)
        self.attempts = Attempts(self.payments, self.circuits, self.clock)
        self.create = CreatePayment(self.payments, self.providers, self.attempts, self.links, self.clock)
        self.choose = ChooseMethod(self.providers, self.attempts)
        self.refund_index = RefundIndex(TABLES["RefundsTable"], client, clock=self.clock)
        self.callback = ApplyCallback(self.payments, self.providers, self.reports, self.refund_index)
        self.refunds = Refunds(self.payments, self.refund_index, self.providers, self.reports, self.clock)
        self.accept = AcceptPayment(self.payments, self.clock)
        self.read = ReadPayment(self.payments, self.providers, self.reports)
        self.cancel = CancelPayment(self.payments, self.providers, self.clock)
        self.list = ListPayments(self.payments)
        self.methods = PaymentMethods(self.providers)
        self.accounts = AccountStore(TABLES["AccountsTable"], TABLES["ApiKeysTable"], client, clock=self.clock)
        self.checkout = HostedCheckout(
            self.payments, self.providers, self.links, self.clock, self.methods, self.choose, self.accounts
        )

    def checker(self, *, rate_limits: RateLimits | None = None, claim_seconds: int = 300) -> Checker:
        return Checker(
            self.payments,
            self.providers,
            self.reports,
            self.clock,
            rate_limits=rate_limits,
            claim_seconds=claim_seconds,
        )

    def sweep(self) -> dict[str, int]:
        """One scheduled run with no queue: every due check, made at once."""
        return self.checker().sweep(time_left=lambda: 60.0)


def lifecycle(
    client: Any,
    clock: Any,
    *,
    table: str = TABLES["PaymentsTable"],
    enabled: list[str] | None = None,
    credentials: Mapping[str, Mapping[str, str]] = CREDENTIALS,
    session: requests.Session | None = None,
    providers: Registry | None = None,
    due_shards: int = 4,
    config: Settings | None = None,
) -> Lifecycle:
    """The use cases on `table`, with providers built by `registry` unless `providers` are given."""
    config = config or settings(enabled_providers=enabled or list(credentials))
    return Lifecycle(
        payments=PaymentStore(table, client, due_shards=due_shards, clock=clock),
        providers=providers or registry(clock, credentials=credentials, session=session, config=config),
        clock=clock,
        config=config,
    )


# --- payments -----------------------------------------------------------------------------------


def record(*, at: datetime = DEFAULT_NOW, **fields: Any) -> PaymentRecord:
    """A stored payment: pending, 1.00 USD at the sandbox, unless `fields` say otherwise."""
    status = Status(fields.get("status", Status.PENDING))
    values: dict[str, Any] = {
        "id": f"pay_{uuid.uuid4().hex[:24]}",
        "account_id": ACCOUNT,
        "livemode": False,
        "status": status,
        "amount": "1.00",
        "currency": "USD",
        "provider": "sandbox",
        "created_at": at,
        "updated_at": at,
        "history": [HistoryEntry(status=status, at=at, source="api")],
        **fields,
    }
    return PaymentRecord(**values)


# --- callbacks, signed as each provider signs them ----------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """A callback as a provider sends it: the raw body and the headers."""

    body: bytes
    headers: dict[str, str]

    def request(self, source_ip: str = "127.0.0.1") -> CallbackRequest:
        """As the gateway receives it (header names lower-cased)."""
        headers = {name.lower(): value for name, value in self.headers.items()}
        return CallbackRequest(headers=headers, body=self.body, source_ip=source_ip)


def sandbox_callback(
    payment_id: str | None,
    provider_payment_id: str,
    status: str,
    *,
    secret: str = CREDENTIALS["sandbox"]["webhook_secret"],
    timestamp: int | None = None,
    event_id: str | None = None,
    amount_paid: str | None = None,
    currency: str = "USD",
) -> Delivery:
    """A signed sandbox callback; `amount_paid` as the sandbox reports a paid payment (without it, a
    success is a report whose amount cannot be read)."""
    body = json.dumps(
        {
            "event_id": event_id or f"evt_{uuid.uuid4().hex}",
            "id": provider_payment_id,
            "reference": payment_id,
            "status": status,
            **({"amount_paid": amount_paid, "currency": currency} if amount_paid else {}),
        }
    ).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    return Delivery(body, {"Content-Type": "application/json", "Paygate-Signature": sandbox.sign(secret, stamp, body)})


def sandbox_refund_callback(
    refund_id: str,
    provider_refund_id: str,
    status: str,
    *,
    payment_id: str,
    provider_payment_id: str,
    timestamp: int,
    secret: str = CREDENTIALS["sandbox"]["webhook_secret"],
) -> Delivery:
    """The sandbox's callback of a refund's status (`type` refund), signed as the sandbox signs."""
    body = json.dumps(
        {
            "event_id": f"evt_{uuid.uuid4().hex}",
            "type": "refund",
            "id": provider_refund_id,
            "reference": refund_id,
            "payment": provider_payment_id,
            "payment_reference": payment_id,
            "status": status,
        }
    ).encode()
    return Delivery(
        body, {"Content-Type": "application/json", "Paygate-Signature": sandbox.sign(secret, timestamp, body)}
    )


def nowpayments_ipn(body: bytes | str | dict, *, secret: str = CREDENTIALS["nowpayments"]["ipn_secret"]) -> Delivery:
    """An IPN with `body` as sent (keys in any order), signed over its sorted JavaScript form."""
    raw = json.dumps(body).encode() if isinstance(body, dict) else body if isinstance(body, bytes) else body.encode()
    signature = nowpayments.sign(secret, nowpayments.js_json(nowpayments.parse(raw)))
    return Delivery(raw, {"Content-Type": "application/json", "x-nowpayments-sig": signature})


def paygentic_webhook(
    data: dict,
    *,
    event_type: str,
    secret: str = CREDENTIALS["paygentic"]["webhook_secret"],
    msg_id: str | None = None,
    timestamp: int | None = None,
) -> Delivery:
    body = json.dumps(
        {
            "eventType": event_type,
            "eventId": f"evt_{uuid.uuid4().hex}",
            "timestamp": "2026-01-01T12:00:00Z",
            "data": data,
        }
    ).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    stamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        "svix-id": msg_id,
        "svix-timestamp": str(stamp),
        "svix-signature": paygentic.sign(secret, msg_id, stamp, body),
    }
    return Delivery(body, headers)


# --- canned provider answers (fakes over patches: adapters take their session) -------------------


class FakeSession(requests.Session):
    """Answers each call with the next canned answer, `(status, body)` or `(status, body, headers)`, or
    raises it when it is an exception; keeps what was sent in `sent`."""

    def __init__(self, *answers: tuple | Exception):
        super().__init__()
        self.answers = list(answers)
        self.sent: list[tuple[str, str, dict]] = []

    def request(self, method, url, **kwargs):  # type: ignore[override]
        self.sent.append((method, url, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body, *headers = answer
        response = requests.Response()
        response.status_code = status
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.headers.update(headers[0] if headers else {})
        return response


class ProviderApis(requests.Session):
    """The providers' APIs by host: each answers with `answer(host)`, an exception to raise or a
    `(status, body)`. Keeps the hosts called, and what the payment's record said at each call."""

    def __init__(self, answer: Callable[[str], object]):
        super().__init__()
        self.answer = answer
        self.called: list[str] = []
        self.sent: list[tuple[str, dict]] = []  # host, and what the call carried
        self.store: PaymentStore | None = None
        self.seen_at_call: list[tuple[str, str | None, str | None]] = []

    def request(self, method, url, **kwargs):  # type: ignore[override]
        host = urlsplit(url).hostname or ""
        self.called.append(host)
        self.sent.append((host, kwargs))
        if self.store is not None:  # the write-ahead record, as it stands when the provider is called
            reference = (kwargs.get("json") or {}).get("reference")
            record = self.store.get(reference) if reference else None
            attempt = record.attempts[-1] if record and record.attempts else None
            self.seen_at_call.append((host, record and record.provider, attempt and attempt.outcome))
        answer = self.answer(host)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer  # type: ignore[misc]
        response = requests.Response()
        response.status_code = status
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return response
