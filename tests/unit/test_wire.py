"""Bounded reading of outside input: what passes, and what is refused as not JSON."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from paygate import wire


@pytest.mark.parametrize(
    "text",
    [
        b'{"x":NaN}',
        b'{"x":Infinity}',
        b'{"x":-Infinity}',
        b'{"x":1e400}',
        b'{"x":1e-400}',
        b'{"x":' + b"1" * 65 + b"}",
        b'{"\\ud800":1}',
        b'["\\udc00"]',
        b"[" * 33 + b"]" * 33,
        b'{"a":' * 33 + b"1" + b"}" * 33,
        b"[" * 100_000 + b"]" * 100_000,
        b"\xff",
        b'{"x":',
        b"",
        b'{"amount":"1.00","amount":"1000.00"}',
        b'{"a":{"b":1,"b":1}}',
        b'[{"k":1},{"k":1,"k":2}]',
        b'{"\\u0061":1,"a":2}',  # the same key, spelled with an escape
    ],
)
def test_refused_as_not_json(text):
    with pytest.raises(json.JSONDecodeError):
        wire.loads(text)
    with pytest.raises(json.JSONDecodeError):
        wire.loads(text, exact=True)


def test_what_real_bodies_hold_passes_with_exact_numbers():
    value = wire.loads(b'{"a":[1,{"b":0.0000985}],"c":1E-7,"d":-0.0,"e":5077125051,"f":"caf\\u00e9"}', exact=True)
    assert value == {
        "a": [Decimal(1), {"b": Decimal("0.0000985")}],
        "c": Decimal("1E-7"),
        "d": Decimal("-0.0"),
        "e": Decimal(5077125051),
        "f": "café",
    }
    assert wire.loads(b"[" * 32 + b"]" * 32) is not None  # 32 levels is the bound, not beyond


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1700000000", 1700000000),
        ("0", 0),
        ("²", None),
        ("\uff11\uff12\uff13", None),
        (" 1", None),
        ("1\n", None),
        ("9" * 13, None),
    ],
)
def test_timestamps_are_ascii_digits_only(text, seconds):
    assert wire.unix_seconds(text) == seconds


@pytest.mark.parametrize("given", ["é", "\ud800", "", "x" * 10_000])
def test_comparing_any_text_is_an_answer_never_an_error(given):
    assert wire.same("secret", given) is False
    assert wire.same("é", "é") is True
