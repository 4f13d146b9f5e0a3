"""What a provider reports of the money's way to the merchant: its fee, the net it settles, and for crypto
what the customer actually sent. Pydantic only, no I/O; shared by the adapters' reports and the Payment."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Settlement(BaseModel):
    """The money's way to the merchant, as the provider reports it (decimal strings; None where it says
    nothing, never a guess): its `fee` and the `net` it settles, both in `settlement_currency`, and for
    crypto what the customer `actually_paid` (in `pay_currency`). A later report replaces an earlier one:
    the provider's last word on its own books is the one kept."""

    fee: str | None = Field(
        default=None,
        description="What the provider keeps of this payment, in `settlement_currency`; null where it reports none.",
        examples=["0.88"],
    )
    net: str | None = Field(
        default=None,
        description="What the provider settles to the merchant, in `settlement_currency`; null where it reports none.",
        examples=["29.12"],
    )
    settlement_currency: str | None = Field(
        default=None,
        description="The currency of `fee` and `net` (upper-case), as the provider reports it.",
        examples=["USD"],
    )
    actually_paid: str | None = Field(
        default=None,
        description="Crypto: what the customer actually sent, in `pay_currency` (null until the provider says).",
        examples=["0.00031742"],
    )

    def changes_to(self, current: Settlement) -> dict[str, str]:
        """What this report says that `current` does not say yet, or says otherwise."""
        known = current.model_dump(include=set(Settlement.model_fields))
        return {name: value for name, value in self._told().items() if known[name] != value}

    def _told(self) -> dict[str, str]:
        return {name: value for name, value in self.model_dump().items() if value is not None}
