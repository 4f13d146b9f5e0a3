"""ISO 4217 fiat currencies and their minor units (decimal places). Funds codes, precious metals and
test codes are left out on purpose: nobody prices an order in them."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD "
    "CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD "
    "HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD "
    "MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON "
    "RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD "
    "TZS UAH USD UYU UZS VES WST XCD XCG YER ZAR ZMW ZWG"
)

MINOR_UNITS: dict[str, int] = (
    {code: 0 for code in _ZERO.split()} | {code: 3 for code in _THREE.split()} | {code: 2 for code in _TWO.split()}
)


def amount_text(value: Decimal, currency: str) -> str:
    """An amount as the API writes it: with its currency's decimal places, rounded down (a share of a
    payment never shows more than was there)."""
    places = MINOR_UNITS.get(currency.upper(), 2)
    return format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN), "f")
