"""`Paygate`: the client, and its resources (`client.payments`, `client.refunds`, ...)."""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import requests

from paygate_client import errors
from paygate_client._transport import Kind, Transport
from paygate_client.models import (
    Account,
    ApiKey,
    ApiKeyList,
    Deleted,
    Delivery,
    DeliveryList,
    Difference,
    DifferenceList,
    EndpointList,
    Export,
    Payment,
    PaymentList,
    PaymentMethod,
    PaymentMethodList,
    Reconciliation,
    Refund,
    RefundList,
    WebhookEndpoint,
)

__version__ = "0.1.0"


def _amount(value: str | Decimal | None) -> str | None:
    """The API's decimal string: a Decimal is written out in full ("10.50", never "1.05E+1")."""
    return format(value, "f") if isinstance(value, Decimal) else value


def _time(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _every(page_after: Callable[[str | None], Any], starting_after: str | None = None) -> Iterator[Any]:
    """Every item of a list (`page_after(cursor)` answers one page: `data`, `has_more`,
    `next_starting_after`), page after page as the iteration goes on. A filtered page may hold fewer items
    than it read: the server's cursor says where it stopped, else the page's last item."""
    cursor = starting_after
    while True:
        page = page_after(cursor)
        yield from page.data
        cursor = page.next_starting_after or (page.data[-1].id if page.data else None)
        if not page.has_more or cursor is None:
            return


def _fields(**fields: Any) -> dict[str, Any]:
    """A body of the fields given: None means "not sent", the server's default."""
    return {name: value for name, value in fields.items() if value is not None}


class Paygate:
    """A client of one gateway, acting for the account of one API key.

    `api_key` and `base_url` default to the environment's `PAYGATE_API_KEY` and `PAYGATE_BASE_URL`.
    `timeout` is per try, in seconds; `max_retries` the tries after the first (0: never retry).
    `session` is a `requests.Session` to send through (proxies, adapters, connection pooling).
    `with Paygate(...) as paygate:` closes its connections at the end."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        session: requests.Session | None = None,
    ):
        api_key = api_key or os.environ.get("PAYGATE_API_KEY")
        base_url = base_url or os.environ.get("PAYGATE_BASE_URL")
        if not api_key:
            raise errors.ConfigurationError("no API key: pass api_key, or set PAYGATE_API_KEY")
        if not base_url:
            raise errors.ConfigurationError("no base URL: pass base_url, or set PAYGATE_BASE_URL")
        if max_retries < 0:
            raise errors.ConfigurationError("max_retries cannot be negative")
        self.transport = Transport(
            api_key,
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            session=session,
            user_agent=f"paygate-client-python/{__version__}",
        )
        self.payments = Payments(self.transport)
        self.refunds = Refunds(self.transport)
        self.webhook_endpoints = WebhookEndpoints(self.transport)
        self.payment_methods = PaymentMethods(self.transport)
        self.account = Accounts(self.transport)
        self.api_keys = ApiKeys(self.transport)
        self.exports = Exports(self.transport)
        self.reconciliations = Reconciliations(self.transport)
        self._owns_session = session is None

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    def close(self) -> None:
        """Close the connections the client opened (a session passed in stays the caller's to close)."""
        if self._owns_session:
            self.transport.session.close()

    def __enter__(self) -> Paygate:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()


class Resource:
    def __init__(self, transport: Transport):
        self._transport = transport

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._transport.request("GET", path, kind=Kind.READ, params=params)

    def _create(self, path: str, body: Any, idempotency_key: str | None) -> Any:
        return self._transport.request("POST", path, kind=Kind.CREATE, json=body, idempotency_key=idempotency_key)

    def _write(self, method: str, path: str, body: Any = None) -> Any:
        return self._transport.request(method, path, kind=Kind.WRITE, json=body)


class Payments(Resource):
    def create(
        self,
        *,
        amount: str | Decimal,
        currency: str,
        provider: str | None = None,
        pay_currency: str | None = None,
        reference: str | None = None,
        description: str | None = None,
        customer_email: str | None = None,
        customer_country: str | None = None,
        items: Sequence[Mapping[str, Any]] | None = None,
        success_url: str | None = None,
        failure_url: str | None = None,
        expires_in: str | None = None,
        metadata: Mapping[str, str] | None = None,
        provider_options: Mapping[str, Mapping[str, Any]] | None = None,
        methods: Sequence[str] | None = None,
        idempotency_key: str | None = None,
    ) -> Payment:
        """Create a payment, at most once: every try of this call sends the same `Idempotency-Key` (yours,
        or a new one per call), so a retry after a lost answer gets the first answer back. On a provider's
        failure the ProviderError's `payment_id` names the payment recorded as failed."""
        body = _fields(
            amount=_amount(amount),
            currency=currency,
            provider=provider,
            pay_currency=pay_currency,
            reference=reference,
            description=description,
            customer_email=customer_email,
            customer_country=customer_country,
            items=[{**item, "amount": _amount(item["amount"])} for item in items] if items is not None else None,
            success_url=success_url,
            failure_url=failure_url,
            expires_in=expires_in,
            metadata=dict(metadata) if metadata is not None else None,
            provider_options=provider_options,
            methods=list(methods) if methods is not None else None,
        )
        return Payment.model_validate(self._create("/payments", body, idempotency_key))

    def get(self, payment_id: str, *, force_sync: bool = False) -> Payment:
        """A payment; `force_sync` asks its provider for the status first."""
        params = {"force_sync": "true"} if force_sync else None
        return Payment.model_validate(self._get(f"/payments/{payment_id}", params))

    def list_page(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        status: str | None = None,
        provider: str | None = None,
        reference: str | None = None,
        created_gte: datetime | str | None = None,
        created_lt: datetime | str | None = None,
        money: str | None = None,
    ) -> PaymentList:
        """One page of the account's payments, newest first (`limit` 1-100, default 20)."""
        params = {
            "limit": limit,
            "starting_after": starting_after,
            "status": status,
            "provider": provider,
            "reference": reference,
            "created_gte": _time(created_gte),
            "created_lt": _time(created_lt),
            "money": money,
        }
        return PaymentList.model_validate(self._get("/payments", params))

    def list(
        self,
        *,
        limit: int | None = 100,
        starting_after: str | None = None,
        status: str | None = None,
        provider: str | None = None,
        reference: str | None = None,
        created_gte: datetime | str | None = None,
        created_lt: datetime | str | None = None,
        money: str | None = None,
    ) -> Iterator[Payment]:
        """Every payment that matches, newest first, fetching page after page (`limit` a page) as the
        iteration goes on."""
        filters = {"status": status, "provider": provider, "reference": reference, "money": money}
        return _every(
            lambda cursor: self.list_page(
                limit=limit, starting_after=cursor, created_gte=created_gte, created_lt=created_lt, **filters
            ),
            starting_after,
        )

    def cancel(self, payment_id: str) -> Payment:
        """Cancel a payment that has not ended (again: the same answer); ConflictError
        `payment_not_cancellable` once it succeeded, failed or expired."""
        return Payment.model_validate(self._write("POST", f"/payments/{payment_id}/cancel"))

    def accept(self, payment_id: str) -> Payment:
        """Accept a `partially_paid` payment as it is: it becomes `succeeded`."""
        return Payment.model_validate(self._write("POST", f"/payments/{payment_id}/accept"))


class Refunds(Resource):
    def create(
        self,
        payment_id: str,
        *,
        amount: str | Decimal | None = None,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Refund:
        """Give back `amount` of a payment (default: all that remains refundable), at most once."""
        body = _fields(amount=_amount(amount), reason=reason, metadata=dict(metadata) if metadata else None)
        return Refund.model_validate(self._create(f"/payments/{payment_id}/refunds", body, idempotency_key))

    def get(self, refund_id: str) -> Refund:
        return Refund.model_validate(self._get(f"/refunds/{refund_id}"))

    def list(self, payment_id: str) -> builtins.list[Refund]:
        """A payment's refunds, newest first."""
        return RefundList.model_validate(self._get(f"/payments/{payment_id}/refunds")).data

    def confirm(self, refund_id: str, *, external_reference: str) -> Refund:
        """A manual refund made: the money went back, `external_reference` says how (a transaction hash)."""
        body = {"external_reference": external_reference}
        return Refund.model_validate(self._write("POST", f"/refunds/{refund_id}/confirm", body))

    def cancel(self, refund_id: str) -> Refund:
        """A manual refund that will not be made."""
        return Refund.model_validate(self._write("POST", f"/refunds/{refund_id}/cancel"))


class WebhookEndpoints(Resource):
    def create(
        self, *, url: str, events: Sequence[str] | None = None, description: str | None = None
    ) -> WebhookEndpoint:
        """Register an endpoint (events: all by default); the answer's `secret` is shown only here."""
        body = _fields(url=url, events=list(events) if events is not None else None, description=description)
        return WebhookEndpoint.model_validate(self._write("POST", "/webhook-endpoints", body))

    def get(self, endpoint_id: str) -> WebhookEndpoint:
        return WebhookEndpoint.model_validate(self._get(f"/webhook-endpoints/{endpoint_id}"))

    def list(self) -> builtins.list[WebhookEndpoint]:
        return EndpointList.model_validate(self._get("/webhook-endpoints")).data

    def update(
        self,
        endpoint_id: str,
        *,
        url: str | None = None,
        events: Sequence[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> WebhookEndpoint:
        """Change what is given (None: unchanged); `enabled=True` enables again an endpoint that was disabled."""
        body = _fields(
            url=url, events=list(events) if events is not None else None, description=description, enabled=enabled
        )
        return WebhookEndpoint.model_validate(self._write("PATCH", f"/webhook-endpoints/{endpoint_id}", body))

    def send_test(self, endpoint_id: str) -> Delivery:
        """Send the endpoint a signed test event (`webhook.ping`); the answer is its delivery."""
        return Delivery.model_validate(self._write("POST", f"/webhook-endpoints/{endpoint_id}/test"))

    def delete(self, endpoint_id: str) -> Deleted:
        return Deleted.model_validate(self._write("DELETE", f"/webhook-endpoints/{endpoint_id}"))

    def rotate_secret(self, endpoint_id: str) -> WebhookEndpoint:
        """A new secret (in the answer); the one it replaces signs too for a while."""
        return WebhookEndpoint.model_validate(self._write("POST", f"/webhook-endpoints/{endpoint_id}/rotate-secret"))

    def deliveries(self, endpoint_id: str, *, limit: int | None = None) -> builtins.list[Delivery]:
        """The delivery log: each event sent to the endpoint, with every attempt."""
        answer = self._get(f"/webhook-endpoints/{endpoint_id}/deliveries", {"limit": limit})
        return DeliveryList.model_validate(answer).data

    def retry_delivery(self, endpoint_id: str, delivery_id: str) -> Delivery:
        path = f"/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry"
        return Delivery.model_validate(self._write("POST", path))


class PaymentMethods(Resource):
    def list(self, *, currency: str, amount: str | Decimal | None = None) -> builtins.list[PaymentMethod]:
        """What a customer could pay with, for this currency (and amount)."""
        answer = self._get("/payment-methods", {"currency": currency, "amount": _amount(amount)})
        return PaymentMethodList.model_validate(answer).data


class Accounts(Resource):
    def get(self) -> Account:
        return Account.model_validate(self._get("/account"))

    def update(self, **profile: str | None) -> Account:
        """Change the profile the checkout page shows (`display_name`, `logo_url`, `brand_color`,
        `support_url`, `support_email`, `website_url`); None clears a field."""
        return Account.model_validate(self._write("PATCH", "/account", profile))


class ApiKeys(Resource):
    def list(self) -> builtins.list[ApiKey]:
        return ApiKeyList.model_validate(self._get("/api-keys")).data

    def create(self, *, name: str | None = None) -> ApiKey:
        """A new key of this account and mode; its `secret` is shown only here."""
        return ApiKey.model_validate(self._write("POST", "/api-keys", _fields(name=name)))

    def revoke(self, key_id: str) -> ApiKey:
        return ApiKey.model_validate(self._write("POST", f"/api-keys/{key_id}/revoke"))

    def roll(self, key_id: str, *, expires_at: datetime | str | None = None) -> ApiKey:
        """A new key in place of this one, which keeps working until `expires_at`."""
        body = _fields(expires_at=_time(expires_at))
        return ApiKey.model_validate(self._write("POST", f"/api-keys/{key_id}/roll", body))


class Exports(Resource):
    def create(
        self,
        *,
        type: Literal["payments", "balance"],
        created_gte: datetime | str,
        created_lt: datetime | str,
        format: Literal["csv", "jsonl"] = "csv",
    ) -> Export:
        """Ask for a file of the period's payments or money movements; it is `pending` until written."""
        body = {"type": type, "created_gte": _time(created_gte), "created_lt": _time(created_lt), "format": format}
        return Export.model_validate(self._write("POST", "/exports", body))

    def get(self, export_id: str) -> Export:
        """The export; once `succeeded`, its `rows` and a `url` of its file valid for an hour."""
        return Export.model_validate(self._get(f"/exports/{export_id}"))


class Reconciliations(Resource):
    def run(self, *, provider: str, created_gte: datetime | str, created_lt: datetime | str) -> Reconciliation:
        """Compare the provider's payments of the period with the gateway's now: what it could repair is
        repaired, the rest recorded as differences."""
        body = {"provider": provider, "created_gte": _time(created_gte), "created_lt": _time(created_lt)}
        return Reconciliation.model_validate(self._write("POST", "/reconciliations", body))

    def differences_page(self, *, limit: int | None = None, starting_after: str | None = None) -> DifferenceList:
        params = {"limit": limit, "starting_after": starting_after}
        return DifferenceList.model_validate(self._get("/reconciliations/differences", params))

    def differences(self, *, limit: int | None = 100) -> Iterator[Difference]:
        """Every difference recorded, page after page as the iteration goes on."""
        return _every(lambda cursor: self.differences_page(limit=limit, starting_after=cursor))
