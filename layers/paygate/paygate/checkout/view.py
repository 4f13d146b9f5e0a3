"""What a checkout page shows, as plain data: the hosted checkout (paygate.lifecycle.hosted) fills it in and
paygate.checkout.pages renders it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from paygate.checkout.shop import Shop
from paygate.checkout.words import DEFAULT

TERMINAL = ("succeeded", "failed", "expired", "cancelled")


@dataclass(frozen=True)
class MethodChoice:
    value: str  # the form value posted back (opaque to the page, e.g. "nowpayments:crypto:btc")
    label: str  # in the customer's words: "Card", "Bitcoin (BTC)", "Test payment (sandbox)"
    provider_label: str  # who processes it: "Paygentic", "NOWPayments" (a small note)
    kind: str  # card | crypto | test | bank_transfer | wallet | other


@dataclass(frozen=True)
class CryptoDetails:
    address: str
    amount: str  # the amount of coin to send, as the provider gave it (every digit: it is what to type)
    coin: str  # the provider's ticker, e.g. "btc", "usdttrc20"
    memo: str | None = None  # memo / destination tag for chains that need one
    confirmations: int | None = None  # the network's confirmations so far, where the provider reports them


@dataclass(frozen=True)
class CheckoutView:
    stage: Literal["choose", "crypto", "waiting", "final"]
    amount: str  # "10.50"
    currency: str  # "USD"
    status: str  # pending, processing, partially_paid, succeeded, failed, expired, cancelled
    reference: str | None = None  # merchant-given
    description: str | None = None  # merchant-given
    link: str = ""  # the page's own address (its signed link): the forms, the status endpoint, the switch
    methods: tuple[MethodChoice, ...] = ()
    error: str | None = None  # already in the customer's words
    crypto: CryptoDetails | None = None
    expires_at: datetime | None = None  # the crypto page counts down to it
    next_url: str | None = None  # final stage: the merchant's success or failure URL
    redirect_seconds: int = 10  # final stage with next_url: the script goes there after this visible countdown
    returned: bool = False  # back from the provider's page: "Check status" keeps the page waiting
    shop: Shop | None = None  # the merchant's profile; None: the page shows no merchant
    lang: str = DEFAULT
