"""Words for people: the checkout's message catalog (messages/<language>.json, one per language), the choice
of language (the page's `?lang=`, else the browser's `Accept-Language`, else English) and amounts written as
the language writes them (CLDR data, through Babel: `25,00 $` in German, `$25.00` in English)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from babel.numbers import UnknownCurrencyError, format_currency

# Each language in its own name, as the switch shows it.
LANGUAGES = {"en": "English", "de": "Deutsch", "es": "Español", "fr": "Français"}
DEFAULT = "en"
_MESSAGES = Path(__file__).with_name("messages")


@cache
def catalog(lang: str) -> dict[str, str]:
    return json.loads((_MESSAGES / f"{lang}.json").read_text(encoding="utf-8"))


def negotiate(accept_language: str | None, chosen: str | None = None) -> str:
    """The page's language: the one chosen on the page when it is one of ours, else the browser's first
    preference (by its q weight, then its order) that we speak, else English."""
    if chosen in LANGUAGES:
        return str(chosen)
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, parameters = part.partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag.strip() and weight > 0:
            ranked.append((-weight, order, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        language = tag.split("-")[0]
        if language in LANGUAGES:
            return language
    return DEFAULT


@dataclass(frozen=True)
class Words:
    """The catalog of one language; a message it lacks is the English one."""

    lang: str = DEFAULT

    def __call__(self, key: str, **values: object) -> str:
        text = catalog(self.lang).get(key) or catalog(DEFAULT)[key]
        return text.format(**values) if values else text

    def money(self, amount: str, currency: str) -> str:
        """The amount as this language writes it, every digit of it kept (never rounded to the currency's)."""
        try:
            value = Decimal(amount)
            return format_currency(value, currency, locale=self.lang, decimal_quantization=False)
        except (InvalidOperation, UnknownCurrencyError, ValueError):
            return f"{amount} {currency}"
