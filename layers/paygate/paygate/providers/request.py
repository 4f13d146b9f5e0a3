"""What a merchant asks a payment to be: the body of POST /payments, which is also what a provider is asked
to create. Its `provider` is one of the catalog's, and its `provider_options` has one strict model per
provider that takes options (the spec's `options`), so a new provider's options need no line here.
Pydantic only, no I/O."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StrictInt, StringConstraints, create_model, model_validator
from pydantic_core import PydanticCustomError

from paygate.currencies import MINOR_UNITS
from paygate.fields import (
    Amount,
    Currency,
    Description,
    Duration,
    Email,
    ItemName,
    Metadata,
    Reference,
    Strict,
    Ticker,
    Url,
    decimals,
    duration,
)
from paygate.models import METHOD_KINDS, MethodKind
from paygate.providers.catalog import SPECS


def _check_provider(value: str) -> str:
    if value not in SPECS:
        raise PydanticCustomError("validation_error", "must be one of {names}", {"names": ", ".join(SPECS)})
    return value


def _provider_names(schema: dict[str, Any]) -> None:
    schema["enum"] = list(SPECS)  # the catalog as the OpenAPI document is written


if TYPE_CHECKING:
    ProviderOptions = Strict
else:
    ProviderOptions = create_model(
        "ProviderOptions",
        __base__=Strict,
        __doc__="`provider_options`: keyed by provider name, each value that provider's options. A request may\n"
        "carry options for several providers when it lets routing choose; only the chosen provider's are sent.",
        **{
            name: (spec.options | None, Field(default=None, description=f"The options for {spec.title}"))
            for name, spec in SPECS.items()
            if spec.options
        },
    )


class Item(Strict):
    """One line of what the customer buys."""

    name: ItemName = Field(description="What the customer buys", examples=["Concert ticket"])
    amount: Amount = Field(description="Its unit price, a decimal string in the payment's currency", examples=["5.25"])
    quantity: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = Field(default=1, description="How many", examples=[2])


class CreatePaymentRequest(Strict):
    """The body of POST /payments. Strict: amounts are strings, never numbers, and unknown fields fail."""

    amount: Amount = Field(
        description=(
            "The price, a decimal string of ASCII digits (never a number), with no more decimals than `currency` allows"
        ),
        examples=["10.50"],
    )
    currency: Currency = Field(description="The price's currency: an upper-case ISO 4217 fiat code", examples=["USD"])
    provider: (
        Annotated[
            str,
            StringConstraints(max_length=32),
            AfterValidator(_check_provider),
            Field(json_schema_extra=_provider_names),
        ]
        | None
    ) = Field(
        default=None,
        description="The provider to create it at (bound to it); routing chooses when omitted",
        examples=["sandbox"],
    )
    pay_currency: Ticker | None = Field(
        default=None,
        description=(
            "Crypto: the coin the customer pays with (a provider's ticker); the customer picks one on the provider's "
            "or the hosted page when omitted"
        ),
        examples=["btc"],
    )
    reference: Reference | None = Field(
        default=None,
        description=(
            "Your own id for the payment (an order id): shown on the hosted page, searchable with `GET "
            "/payments?reference=`"
        ),
        examples=["order-1001"],
    )
    description: Description | None = Field(
        default=None, description="What the payment is for, shown to the customer", examples=["2 concert tickets"]
    )
    customer_email: Email | None = Field(
        default=None,
        description="The customer's email, for providers that need it (Payop)",
        examples=["jane@example.com"],
    )
    items: Annotated[list[Item], Field(max_length=100)] | None = Field(
        default=None,
        description="What the customer buys (at most 100 lines), for providers that show a basket",
        examples=[[{"name": "Concert ticket", "amount": "5.25", "quantity": 2}]],
    )
    success_url: Url | None = Field(
        default=None,
        description="Where the customer goes after paying",
        examples=["https://acme.example/orders/1001/thanks"],
    )
    failure_url: Url | None = Field(
        default=None,
        description="Where the customer goes when the payment fails or is abandoned",
        examples=["https://acme.example/orders/1001/retry"],
    )
    expires_in: Duration | None = Field(
        default=None,
        description=(
            "How long the customer has to pay, an ISO 8601 duration (`PT30M`, `PT2H`, `P1D`); an hour when omitted, "
            "at most what the provider allows"
        ),
        examples=["PT30M"],
    )
    metadata: Metadata | None = Field(
        default=None,
        description=(
            "Your own key-value pairs (at most 50; keys up to 40 characters, values up to 500), given back on the "
            "payment and its events"
        ),
        examples=[{"customer": "c_42"}],
    )
    provider_options: ProviderOptions | None = Field(
        default=None,
        description=(
            "What one provider offers beyond these fields, keyed by provider name; only the chosen provider's are sent"
        ),
        examples=[{"nowpayments": {"is_fixed_rate": True}}],
    )
    methods: Annotated[list[MethodKind], Field(min_length=1, max_length=len(METHOD_KINDS))] | None = Field(
        default=None,
        description="The kinds of method the customer may choose from on the hosted checkout page. Given (and "
        "no provider), no provider is called at create: the payment waits, `provider: null`, for the customer's "
        "choice",
        examples=[["card", "crypto"]],
    )
    customer_country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        default=None,
        description="Where the customer is, when you know it (ISO 3166-1 alpha-2): routing rules may use it",
        examples=["DE"],
    )

    @model_validator(mode="after")
    def _precision(self) -> CreatePaymentRequest:
        if decimals(self.amount) > MINOR_UNITS[self.currency]:
            raise PydanticCustomError(
                "validation_error",
                "amount: {currency} allows at most {places} decimal places",
                {"currency": self.currency, "places": MINOR_UNITS[self.currency]},
            )
        if self.methods is not None and len(set(self.methods)) != len(self.methods):
            raise PydanticCustomError("validation_error", "methods: each kind at most once")
        if self.methods is not None and self.provider is not None:
            raise PydanticCustomError(
                "validation_error",
                "methods: a payment naming a provider is bound to it; give a provider or methods, not both",
            )
        return self

    @property
    def lifetime(self) -> timedelta | None:
        return duration(self.expires_in) if self.expires_in else None

    def options_for(self, provider: str) -> BaseModel | None:
        """The options this request carries for `provider` (another provider's are never read)."""
        return getattr(self.provider_options, provider, None) if self.provider_options else None

    def with_options(self, provider: str, options: BaseModel) -> CreatePaymentRequest:
        """The request with `provider`'s options replaced by `options`."""
        current = self.provider_options or ProviderOptions()
        return self.model_copy(update={"provider_options": current.model_copy(update={provider: options})})
