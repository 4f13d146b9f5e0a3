"""The types of what a merchant sends: amounts, currencies, URLs, durations and text, each checked by a
validator (for a clear message and our error codes) and, where JSON Schema can say it, also written into
the OpenAPI document (so clients and fuzzers see the real constraints). Pydantic only, no I/O."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter
from pydantic_core import PydanticCustomError

from paygate.currencies import MINOR_UNITS

# ASCII digits only, no leading zeros, no sign or exponent, nothing after: Python's `\d` and `$` would let
# Arabic-Indic or full-width digits and "10\n" through.
_AMOUNT_GRAMMAR = r"(0|[1-9][0-9]{0,14})(\.[0-9]{1,18})?"
_AMOUNT = re.compile(_AMOUNT_GRAMMAR)
AMOUNT_PATTERN = f"^{_AMOUNT_GRAMMAR}$"
# C0 and C1 control characters, and lone surrogates (no UTF-8 encoder can write them).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Unicode's format characters (category Cf) but the joiners that Persian, Indic scripts and emoji need:
# bidi overrides and isolates (U+202E shows "gnp.exe" as "exe.png"), invisible spaces, tags.
_FORMAT_BMP = (
    r"\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u200e\u200f"
    r"\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
_FORMAT = re.compile(
    f"[{_FORMAT_BMP}\\U000110bd\\U000110cd\\U00013430-\\U0001343f\\U0001bca0-\\U0001bca3\\U0001d173-\\U0001d17a"
    "\\U000e0001\\U000e0020-\\U000e007f]"
)
# The same rules for JSON Schema, written with escapes so the document itself holds no control character
# (the format characters beyond U+FFFF, which a JSON Schema pattern cannot name simply, are left out).
TEXT_PATTERN = f"^[^\\x00-\\x1f\\x7f-\\x9f{_FORMAT_BMP}]*$"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DURATION = TypeAdapter(timedelta)


def _check_amount(value: str) -> str:
    if not _AMOUNT.fullmatch(value):
        raise PydanticCustomError("validation_error", "must be a decimal string such as '10.50'")
    if Decimal(value) <= 0:
        raise PydanticCustomError("amount_out_of_range", "must be greater than zero")
    return value


def _check_text(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("validation_error", "must not contain control characters")
    if _FORMAT.search(value):
        raise PydanticCustomError(
            "validation_error", "must not contain invisible format characters (such as bidi controls)"
        )
    return value


def _check_currency(value: str) -> str:
    if value not in MINOR_UNITS:
        raise PydanticCustomError("unsupported_currency", "not an upper-case ISO 4217 fiat currency code")
    return value


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or _CONTROL.search(value) or " " in value:
        raise PydanticCustomError("validation_error", "must be an absolute http(s) URL")
    return value


def _check_email(value: str) -> str:
    if not _EMAIL.fullmatch(value) or _CONTROL.search(value):
        raise PydanticCustomError("validation_error", "must be an email address")
    return value


def _check_duration(value: str) -> str:
    # pydantic reads ISO 8601 durations; insisting on the leading "P" keeps "3600" or "1:00" out.
    try:
        lifetime = _DURATION.validate_python(value) if value.startswith("P") and not _CONTROL.search(value) else None
    except ValueError:
        lifetime = None
    if lifetime is None or lifetime <= timedelta(0):
        raise PydanticCustomError("validation_error", "must be a positive ISO 8601 duration such as 'PT30M'")
    return value


NO_CONTROL = AfterValidator(_check_text)
TEXT_SCHEMA = Field(json_schema_extra={"pattern": TEXT_PATTERN})

Amount = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(_check_amount),
    Field(json_schema_extra={"pattern": AMOUNT_PATTERN, "examples": ["10.50"]}),
]
Currency = Annotated[
    str,
    StringConstraints(max_length=3),
    AfterValidator(_check_currency),
    Field(json_schema_extra={"enum": sorted(MINOR_UNITS)}),
]
Url = Annotated[
    str,
    StringConstraints(max_length=2048),
    AfterValidator(_check_url),
    Field(json_schema_extra={"pattern": "^https?://[^\\s]+$"}),
]
Email = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(_check_email),
    Field(json_schema_extra={"pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"}),
]
Duration = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(_check_duration),
    Field(json_schema_extra={"pattern": "^P([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+S)?)?$", "examples": ["PT30M"]}),
]
Reference = Annotated[str, StringConstraints(max_length=255), NO_CONTROL, TEXT_SCHEMA]
Description = Annotated[str, StringConstraints(max_length=1000), NO_CONTROL, TEXT_SCHEMA]
ItemName = Annotated[str, StringConstraints(min_length=1, max_length=255), NO_CONTROL, TEXT_SCHEMA]
MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=40), NO_CONTROL, TEXT_SCHEMA]
MetadataValue = Annotated[str, StringConstraints(max_length=500), NO_CONTROL, TEXT_SCHEMA]
Metadata = Annotated[dict[MetadataKey, MetadataValue], Field(max_length=50)]


def duration(value: str) -> timedelta:
    """An ISO 8601 duration that passed `Duration`'s check, as a timedelta."""
    return _DURATION.validate_python(value)


def decimals(amount: str) -> int:
    return len(amount.partition(".")[2])


# An identifier a merchant passes through to a provider (a customer id, a payout address).
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=255), NO_CONTROL, TEXT_SCHEMA]
# A coin or token ticker, as providers name them (`btc`, `usdttrc20`).
Ticker = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{2,20}$")]


class Strict(BaseModel):
    """A model of what a merchant sends: exact types (amounts are strings, never numbers), and any field
    it does not know is refused rather than ignored."""

    model_config = ConfigDict(extra="forbid", strict=True)
