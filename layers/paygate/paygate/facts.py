"""What a provider tells that is not a payment: an amount it reports, and a way it offers to pay. Read from
paygate.models with the rest of the domain's data. Pydantic only, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class Money:
    """An amount in a currency, as a provider reports it (the currency upper-cased: NOWPayments writes
    `usd`, crypto tickers are compared the same way)."""

    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: object, currency: object) -> Money | None:
        """From a provider's answer; None when either part is missing or unreadable (a negative amount
        is no amount a customer paid or a price holds)."""
        if isinstance(amount, bool) or not isinstance(amount, str | int | float | Decimal):
            return None
        if not isinstance(currency, str) or not currency:
            return None
        try:
            value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        except InvalidOperation:
            return None
        return cls(value, currency.upper()) if value.is_finite() and value >= 0 else None

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class PaymentMethod(BaseModel):
    """A way a customer could pay, at one provider (GET /payment-methods)."""

    provider: str = Field(description="The provider that offers it", examples=["payop"])
    method: str = Field(
        description="The provider's own id for it (Payop's payment method id), or its kind: what a choice passes back",
        examples=["381"],
    )
    kind: Literal["card", "crypto", "bank_transfer", "wallet", "test", "other"] = Field(
        description="What kind of method it is", examples=["card"]
    )
    name: str = Field(description="Its name, as a customer would recognise it", examples=["Visa / Mastercard"])
    currencies: list[str] | None = Field(
        None, description="The price currencies it takes; null: any", examples=[["EUR", "USD"]]
    )
    countries: list[str] | None = Field(
        None, description="Where it is offered (ISO 3166-1 alpha-2 codes); null: anywhere", examples=[["DE", "FR"]]
    )
    pay_currencies: list[str] | None = Field(
        None,
        description=(
            "Crypto: the coins it takes (the customer picks one on the hosted page, unless the payment names one); "
            "null otherwise"
        ),
        examples=[["btc", "usdttrc20"]],
    )
