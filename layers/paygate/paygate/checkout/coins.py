"""The coins the crypto page knows: their names, and the payment URI that a wallet reads from the QR code,
the amount in it, where the coin's network defines one.

- Bitcoin-family coins: BIP-21, `bitcoin:<address>?amount=<coins>` (Litecoin, Dogecoin, Bitcoin Cash alike).
- Ether and ERC-20 tokens: EIP-681, `ethereum:<address>@1?value=<wei>`, and for a token its `transfer`
  call, `ethereum:<token contract>@1/transfer?address=<address>&uint256=<base units>`.
- Others (Tron and its tokens, XRP, ...) have no such scheme: the QR code holds the address alone, and
  the page says so."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

ETHEREUM_MAINNET = 1


@dataclass(frozen=True)
class Coin:
    name: str  # as a customer knows it, with its network where that matters
    bip21: str | None = None  # the URI scheme of a Bitcoin-family coin
    ether: bool = False  # Ether itself: EIP-681 with `value` in wei
    token: tuple[str, int] | None = None  # an ERC-20 token: (its contract on Ethereum mainnet, its decimals)


COINS = {
    "btc": Coin("Bitcoin (BTC)", bip21="bitcoin"),
    "ltc": Coin("Litecoin (LTC)", bip21="litecoin"),
    "doge": Coin("Dogecoin (DOGE)", bip21="dogecoin"),
    "bch": Coin("Bitcoin Cash (BCH)", bip21="bitcoincash"),
    "eth": Coin("Ether (ETH)", ether=True),
    "usdterc20": Coin("Tether USDT (Ethereum, ERC-20)", token=("0xdAC17F958D2ee523a2206206994597C13D831ec7", 6)),
    "usdc": Coin("USD Coin USDC (Ethereum, ERC-20)", token=("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", 6)),
    "usdttrc20": Coin("Tether USDT (Tron, TRC-20)"),
    "trx": Coin("TRON (TRX)"),
    "xrp": Coin("XRP (XRP Ledger)"),
}


def coin_name(code: str) -> str:
    known = COINS.get(code.lower())
    return known.name if known else code.upper()


def _base_units(amount: str, decimals: int) -> int | None:
    """`amount` in the coin's smallest unit, when it is a whole number of them."""
    try:
        value = Decimal(amount).scaleb(decimals)
    except InvalidOperation:
        return None
    return int(value) if value.is_finite() and value >= 0 and value == value.to_integral_value() else None


def payment_uri(code: str, address: str, amount: str) -> str | None:
    """The URI a wallet reads to pay `amount` of coin `code` to `address`, or None where no scheme exists
    (or the amount cannot be written in it): the QR code then holds the address alone."""
    coin = COINS.get(code.lower())
    if coin is None:
        return None
    if coin.bip21:
        valid = _base_units(amount, 8) is not None
        return f"{coin.bip21}:{address}?amount={Decimal(amount).normalize():f}" if valid else None
    if coin.ether:
        wei = _base_units(amount, 18)
        return f"ethereum:{address}@{ETHEREUM_MAINNET}?value={wei}" if wei is not None else None
    if coin.token:
        contract, decimals = coin.token
        units = _base_units(amount, decimals)
        if units is None:
            return None
        return f"ethereum:{contract}@{ETHEREUM_MAINNET}/transfer?address={address}&uint256={units}"
    return None
