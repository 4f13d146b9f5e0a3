"""Payop: hosted-checkout invoices.

Create signs `sha256_hex("{amount}:{currency}:{order id}:{secretKey}")` over the exact amount string it
sends (we send the merchant's amount unchanged, so "2" and "2.00" sign differently and each is sent as
signed). The invoice id is the `identifier` response header (the body's `data` is deprecated).

Status: `GET /v1/invoices/{id}`, and with a JWT (credential `jwt`) also `GET /v2/transactions/{txid}`
when the invoice names its transaction. The transaction is the finer signal: state 9 (pre-approved) may
still fail, so it is `processing`, never success.

Provider options (`provider_options.payop`): `payment_method` goes out as `paymentMethod`, as given (Payop
documents it as a string or an integer), sending the payer straight to that method; `language` replaces
the default `en` of the checkout page.

Payment methods: `GET /v1/instrument-settings/payment-methods/available-for-application/{application id}`
with the JWT. Payop does not document how the application id relates to the project's other keys, so it
is the optional credential `application_id`, by default the public key without its `application-`
prefix (unconfirmed). The list is kept for 10 minutes of the adapter's clock (an adapter lives as long
as its container), then asked again; a failure is not kept.

IPNs: the current format carries no signature, so it is authenticated by the sender's address (the
`ipn_allowlist` credential, comma-separated addresses or networks; default: Payop's published list)
and then treated as a hint: the gateway asks `fetch` and applies only what Payop's API answers. A claim
Payop does not confirm changes nothing. The legacy v1 format (flat `orderId`, `status`, `signature`) must
also come from an allowed address and is verified by its signature. Payop may report `failed` and then
`accepted` for one invoice; the status machine lets `succeeded` follow `failed`.

Refunds (with the JWT) go through Payop's refund API: see paygate.providers.payop.refunds. Refund IPNs come
to the same URL, from the same senders, and are hints as well."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from paygate import wire
from paygate.errors import (
    AuthenticationFailed,
    InvalidRequest,
    ProviderError,
    ProviderInvalidResponse,
    ProviderRejected,
    ValidationFailed,
)
from paygate.models import Money, Payment, PaymentMethod, ProviderFacts, Status
from paygate.providers.base import Callback, CallbackRequest, CreateContext, CreatedPayment, ProviderState
from paygate.providers.payop.options import PayopOptions
from paygate.providers.payop.refunds import PayopRefunds, is_refund_ipn, refund_callback
from paygate.providers.payop.signing import sign
from paygate.providers.payop.wire import (
    INVOICE_STATUS,
    LEGACY_STATUS,
    TRANSACTION_STATUS,
    integer,
    message_of,
    method_kind,
)
from paygate.providers.request import CreatePaymentRequest

# Payop's published IPN senders, then the addresses of its older docs (docs/providers/payop.md).
DEFAULT_IPN_ALLOWLIST = "18.199.249.46,35.158.36.143,3.125.109.58,3.127.103.117,52.49.204.201,54.229.170.212"
DEFAULT_CHECKOUT_URL = "https://checkout.payop.com/en/payment/invoice-preprocessing/{invoice_id}"
DEFAULT_LANGUAGE = "en"
METHODS_PATH = "/v1/instrument-settings/payment-methods/available-for-application/{application_id}"
METHODS_CACHE = timedelta(minutes=10)
APPLICATION_PREFIX = "application-"


class PayopProvider(PayopRefunds):
    name = "payop"
    default_lifetime = timedelta(hours=24)
    max_lifetime = timedelta(hours=24)  # Payop's invoices are overdue after 24 h; no longer life can be asked

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        # Payop's available methods, all currencies, and when they were read (see payment_methods).
        self._methods: tuple[datetime, list[dict]] | None = None

    def check(self, request: CreatePaymentRequest) -> None:
        if not request.customer_email:
            raise ValidationFailed("payop needs the payer's email: customer_email is required", param="customer_email")

    # --- create ------------------------------------------------------------------------------------

    def create(self, payment: Payment, request: CreatePaymentRequest, context: CreateContext) -> CreatedPayment:
        secret = self.credentials.get("secret_key", "")
        if not secret or not self.credentials.get("public_key"):
            raise ProviderError("payop: no public or secret key is configured")
        amount = payment.amount  # the exact string signed is the string sent
        order = {
            "id": payment.id,
            "amount": amount,
            "currency": payment.currency,
            "items": [
                # Payop's example items carry the line total in `price` (they add up to the order amount).
                {"id": str(n), "name": item.name, "price": str(Decimal(item.amount) * item.quantity)}
                for n, item in enumerate(request.items or [], start=1)
            ],
        }
        if payment.description:
            order["description"] = payment.description
        options = request.options_for(self.name)
        options = options if isinstance(options, PayopOptions) else PayopOptions()
        body: dict[str, Any] = {
            "publicKey": self.credentials["public_key"],
            "order": order,
            "payer": {"email": request.customer_email},
            "language": options.language or DEFAULT_LANGUAGE,
            "signature": sign(amount, payment.currency, payment.id, secret),
        }
        if options.payment_method is not None:
            body["paymentMethod"] = options.payment_method  # as given: Payop takes a string or an integer
        if context.success_url:
            body["resultUrl"] = context.success_url
        if context.failure_url:
            body["failPath"] = context.failure_url
        response = self.request("POST", "/v1/invoices/create", json=body)
        answer = self.json(response)
        if response.status_code not in (200, 201):
            raise ProviderRejected(f"payop: {message_of(answer, response.status_code)}")
        invoice_id = response.headers.get("identifier") or answer.get("data")
        if not invoice_id or not isinstance(invoice_id, str):
            raise ProviderInvalidResponse("payop: create answer names no invoice")
        return CreatedPayment(
            provider_payment_id=invoice_id,
            state=ProviderState(status=Status.PENDING, provider_status="invoice 0"),
            facts=ProviderFacts(payment_url=self._checkout_url(invoice_id)),
        )

    def _checkout_url(self, invoice_id: str) -> str:
        template = self.credentials.get("checkout_url") or DEFAULT_CHECKOUT_URL
        # A path (the local simulator's page) is taken relative to the API base.
        url = template.format(invoice_id=invoice_id)
        return self.base_url + url if url.startswith("/") else url

    # --- payment methods ---------------------------------------------------------------------------

    def payment_methods(self, currency: str, amount: Decimal | None) -> list[PaymentMethod]:
        """Payop's methods for this application that take `currency` (Payop states no amount limits)."""
        found = []
        for method in self._available():
            currencies, identifier = method.get("currencies"), method.get("identifier")
            if not isinstance(currencies, list) or currency not in currencies:
                continue
            if isinstance(identifier, bool) or not isinstance(identifier, int | str) or str(identifier) == "":
                continue  # nothing we could send back as `payment_method`
            countries = method.get("countries")
            found.append(
                PaymentMethod(
                    provider=self.name,
                    method=str(identifier),
                    kind=method_kind(method.get("type")),
                    name=str(method.get("title") or identifier),
                    currencies=[str(code) for code in currencies],
                    countries=[str(code) for code in countries] if isinstance(countries, list) else None,
                )
            )
        return found

    def with_method(self, request: CreatePaymentRequest, method: str) -> CreatePaymentRequest:
        """The chosen Payop method goes as `paymentMethod`: the customer lands on it, not on a list."""
        options = request.options_for(self.name)
        chosen = options if isinstance(options, PayopOptions) else PayopOptions()
        return request.with_options(self.name, chosen.model_copy(update={"payment_method": method}))

    def application_id(self) -> str:
        """Credential `application_id`; by default the public key without `application-` (unconfirmed)."""
        configured = self.credentials.get("application_id")
        return configured or self.credentials.get("public_key", "").removeprefix(APPLICATION_PREFIX)

    def _available(self) -> list[dict]:
        """Every method Payop offers the application, from the cache while it is under 10 minutes old."""
        now = self.clock()
        if self._methods is not None and now - self._methods[0] < METHODS_CACHE:
            return self._methods[1]
        jwt = self.credentials.get("jwt")
        if not jwt:
            raise ProviderError("payop: no jwt is configured, so its payment methods cannot be listed")
        application_id = self.application_id()
        if not application_id:
            raise ProviderError("payop: no application_id or public_key is configured")
        path = METHODS_PATH.format(application_id=quote(application_id, safe=""))
        response = self.request("GET", path, headers={"Authorization": f"Bearer {jwt}"})
        body = self.json(response)
        if response.status_code != 200:
            message = message_of(body, response.status_code).replace(jwt, "***")  # never echo the token
            raise ProviderRejected(f"payop: payment methods read refused: {message}")
        data = body.get("data")
        if not isinstance(data, list):
            raise ProviderInvalidResponse("payop: the payment methods answer has no list")
        methods = [method for method in data if isinstance(method, dict)]
        self._methods = (now, methods)
        return methods

    # --- status ------------------------------------------------------------------------------------

    def fetch(self, payment: Payment) -> ProviderState:
        jwt = self.credentials.get("jwt")
        headers = {"Authorization": f"Bearer {jwt}"} if jwt else {}
        invoice = self._invoice(payment)
        invoice_status = integer(invoice.get("status"))
        status = INVOICE_STATUS.get(invoice_status) if invoice_status is not None else None
        native = f"invoice {invoice.get('status')}"
        # What the invoice is for; a paid invoice was paid that (Payop takes no partial payments).
        paid = Money.of(invoice.get("amount"), invoice.get("currency"))
        txid = invoice.get("txid") or invoice.get("transactionIdentifier")
        if status is not Status.SUCCEEDED and txid and jwt:
            # The transaction tells more than the invoice (pre-approved, timeout); a paid invoice is final.
            transaction = self._data(self.request("GET", f"/v2/transactions/{txid}", headers=headers), "transaction")
            state = integer(transaction.get("state"))
            native += f", transaction {transaction.get('state')}"
            if state in TRANSACTION_STATUS:
                status = TRANSACTION_STATUS[state]
                paid = Money.of(transaction.get("amount"), transaction.get("currency")) or paid
        return ProviderState(status=status, provider_status=native, paid=paid)

    # --- IPN ---------------------------------------------------------------------------------------

    def verify_callback(self, request: CallbackRequest) -> Callback:
        self._verify_source(request.source_ip)
        try:
            event = wire.loads(request.body, exact=True)  # a legacy amount is signed as written
            if not isinstance(event, dict):
                raise TypeError("not an object")
            if is_refund_ipn(event):
                return refund_callback(event)
            if "invoice" not in event and "signature" in event:
                return self._legacy(event)
            invoice, transaction = event["invoice"], event["transaction"]
            invoice_id, order_id = str(invoice["id"]), str(transaction["order"]["id"])
            txid = invoice.get("txid")
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidRequest("payop: the IPN body cannot be read", code="invalid_json") from error
        if not invoice_id or not order_id or (txid and transaction.get("id") and txid != transaction["id"]):
            raise InvalidRequest("payop: the IPN's invoice and transaction do not match", code="invalid_json")
        # Unsigned: a hint only. The gateway confirms it with fetch (Payop's own answer).
        return Callback(payment_id=order_id, provider_payment_id=invoice_id, state=None)

    def _verify_source(self, source_ip: str) -> None:
        allowlist = self.credentials.get("ipn_allowlist", DEFAULT_IPN_ALLOWLIST)
        try:
            address = ipaddress.ip_address(source_ip)
            networks = [ipaddress.ip_network(entry.strip()) for entry in allowlist.split(",") if entry.strip()]
        except ValueError as error:
            raise AuthenticationFailed("The IPN's source address cannot be checked") from error
        # An empty allowlist admits nobody: no configuration switches the check off.
        if not any(address in network for network in networks):
            raise AuthenticationFailed("The IPN does not come from an address Payop sends from")

    def _legacy(self, event: dict) -> Callback:
        """v1 IPN: `signature = sha256("{amount}:{currency}:{orderId}:{status}:{secretKey}")`."""
        secrets = self.secrets("secret_key")
        if not secrets:
            raise AuthenticationFailed("No secret key is configured for payop")
        amount, currency, order_id, status = (
            str(event.get(key, "")) for key in ("amount", "currency", "orderId", "status")
        )
        given = str(event.get("signature", ""))
        if not any([wire.same(sign(amount, currency, order_id, status, secret), given) for secret in secrets]):
            raise AuthenticationFailed("The IPN's signature does not match")
        invoice_id = event.get("invoiceId")
        return Callback(
            payment_id=order_id or None,
            provider_payment_id=str(invoice_id) if invoice_id else None,
            state=ProviderState(
                status=LEGACY_STATUS.get(status), provider_status=f"v1 {status}", paid=Money.of(amount, currency)
            ),
        )
