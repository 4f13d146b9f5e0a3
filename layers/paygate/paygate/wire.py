"""Reading what arrives from outside (request bodies, callbacks, provider answers, headers) so that no
input can raise anything but a refusal.

JSON is bounded: nesting at most MAX_DEPTH levels, numbers of at most MAX_NUMBER_LENGTH characters
whose exponent a double can hold, no NaN or Infinity (JSON has neither; Python's parser accepts them),
and no lone UTF-16 surrogates (`"\\ud800"` decodes to a string no UTF-8 encoder can write), and no key
twice in one object (`{"amount": "1", "amount": "1000"}` means what each reader chooses: Python the
last, others the first; a signature checked over the bytes would cover both). Whatever
breaks a bound is a `json.JSONDecodeError`, the error every caller already answers as "not JSON"."""

from __future__ import annotations

import hmac
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_DEPTH = 32
MAX_NUMBER_LENGTH = 64
# A double holds about 1e-324 to 1e308; beyond that JavaScript (and NOWPayments' signature) sees 0 or Infinity.
_EXPONENTS = range(-324, 309)
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def loads(text: bytes | str, *, exact: bool = False) -> Any:
    """Parse bounded JSON. `exact`: every number as a Decimal of its exact text (for signatures over
    numbers and for money); otherwise ints and floats as Python reads them."""
    try:
        document = text.decode("utf-8") if isinstance(text, bytes) else text
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError("not UTF-8", "", error.start) from error
    try:
        value = json.loads(
            document,
            parse_int=_exact_number if exact else _int,
            parse_float=_exact_number if exact else _float,
            parse_constant=_no_constant,
            object_pairs_hook=_unique_keys,
        )
    except RecursionError as error:
        raise json.JSONDecodeError("nested too deeply", document, 0) from error
    except json.JSONDecodeError:
        raise
    except ValueError as error:  # raised by the number hooks
        raise json.JSONDecodeError(str(error), document, 0) from error
    _check_shape(value, document)
    return value


def _exact_number(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_LENGTH:
        raise ValueError("a number is too long")
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise ValueError("not a number") from error
    if number and number.adjusted() not in _EXPONENTS:
        raise ValueError("a number is out of range")
    return number


def _int(text: str) -> int:
    return int(_exact_number(text))


def _float(text: str) -> float:
    return float(_exact_number(text))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise ValueError(f"the key {twice!r} is given twice")
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_shape(value: Any, document: str) -> None:
    """Depth and strings, walked without recursion (the bound is what protects the recursive readers)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_text(item, document)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", document, 0)
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def _check_text(text: str, document: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise json.JSONDecodeError("a string holds a lone surrogate", document, 0) from error


def unix_seconds(text: str) -> int | None:
    """A Unix timestamp header: 1 to 12 ASCII digits, nothing else (no sign, space or other script's
    digits); None otherwise."""
    return int(text) if _TIMESTAMP.fullmatch(text) else None


def same(expected: str, given: str) -> bool:
    """Constant-time equality of two texts, whatever characters the given one holds."""
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))
