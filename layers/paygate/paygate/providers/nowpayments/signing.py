"""NOWPayments' IPN signature: `x-nowpayments-sig`, HMAC-SHA512 hex keyed with the IPN secret, over the
body with its keys sorted at every level and written the way JavaScript's `JSON.stringify` writes it
(numbers by `Number#toString`: `0.0000985`, `6`, `1e-7`; non-ASCII left raw). Which exact form production
signs is not documented, so `signed_forms` gives every form it may be (see the adapter)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
from decimal import Decimal
from typing import Any

from paygate import wire

SIGNATURE_HEADER = "x-nowpayments-sig"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_ARRAY_INDEX = re.compile(r"^(0|[1-9][0-9]{0,9})$")


def js_number(value: Decimal | int | float) -> str:
    """`Number#toString`: the shortest digits that round-trip the double, an exponent only when the
    decimal exponent is >= 21 or < -6, and never a trailing `.0` (JSON.parse made every number a double)."""
    number = float(value)
    if number == 0:
        return "0"  # -0 too
    _, digits, exponent = Decimal(repr(abs(number))).normalize().as_tuple()
    if not isinstance(exponent, int):  # NaN or an infinity: JSON has no such number
        raise ValueError(f"{value} is not a finite number")
    text = "".join(map(str, digits))
    k, n = len(text), len(text) + exponent  # value = 0.<text> x 10^n
    if k <= n <= 21:
        body = text + "0" * (n - k)
    elif 0 < n <= 21:
        body = text[:n] + "." + text[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * -n + text
    else:
        e = n - 1
        body = (text[0] + ("." + text[1:] if k > 1 else "")) + ("e+" if e >= 0 else "e-") + str(abs(e))
    return ("-" if number < 0 else "") + body


def _js_key_order(key: str) -> tuple:
    # JS orders integer-like keys first, ascending; the rest by UTF-16 code units (what sort() compares).
    if _ARRAY_INDEX.match(key) and int(key) < 2**32 - 1:
        return (0, int(key), b"")
    return (1, 0, key.encode("utf-16-be"))


def js_json(value: Any, *, sort: bool = True, arrays_as_objects: bool = False, keep: list[str] | None = None) -> str:
    """`JSON.stringify` of parsed JSON, compact. `sort`: keys sorted at every level; `arrays_as_objects`:
    arrays written as `{"0":...}` (a recursive sort over `Object.keys` does that); `keep`: a replacer array,
    which is the key list, in its order, of every object at every level."""
    again = functools.partial(js_json, sort=sort, arrays_as_objects=arrays_as_objects, keep=keep)
    if value is None or value is True or value is False:
        return json.dumps(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    if isinstance(value, Decimal | int | float):
        return js_number(value)
    if isinstance(value, list) and not arrays_as_objects:
        return "[" + ",".join(again(item) for item in value) + "]"
    if isinstance(value, list):
        value = {str(index): item for index, item in enumerate(value)}
    if keep is not None:
        keys = [key for key in keep if key in value]
    else:
        keys = sorted(value, key=_js_key_order) if sort else list(value)
    return "{" + ",".join(js_json(key) + ":" + again(value[key]) for key in keys) + "}"


def as_signed(value: Any) -> Any:
    """Parsed JSON with every number as the signer's serializer holds it: the double its digits name,
    written by `Number#toString`. The signature pins only that double, so `0.0001102499999999999999`
    and `0.00011025` are one signed body: read this way they are one amount too."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return Decimal(js_number(value))
    if isinstance(value, list):
        return [as_signed(item) for item in value]
    if isinstance(value, dict):
        return {key: as_signed(item) for key, item in value.items()}
    return value


def parse(body: bytes) -> Any:
    """The body with every number kept as its exact decimal text (bounded: see paygate.wire)."""
    return wire.loads(body, exact=True)


def signed_forms(event: dict) -> list[str]:
    """The texts NOWPayments may have signed for this body (see the module docstring)."""
    forms = [js_json(event), js_json(event, arrays_as_objects=True), js_json(event, keep=sorted(event))]
    return list(dict.fromkeys(forms))


def sign(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha512).hexdigest()
