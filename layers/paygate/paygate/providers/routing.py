"""Routing rules: which providers may take a payment that names none, in the order they are tried.

Rules are configuration (the `ROUTING_RULES` environment variable, a JSON list; the template's
`RoutingRules` parameter), read once per container and checked then: a rule that cannot be read, or that
names a provider that is not enabled, stops the function at start with a message naming the rule, instead
of routing payments somewhere nobody meant.

    [{"when": {"currency": ["USD", "EUR"], "amount_max": "5000"}, "providers": ["paygentic", "payop"]},
     {"when": {"pay_currency": true}, "providers": ["nowpayments"]},
     {"providers": ["payop", "sandbox"]}]

The first rule whose conditions all hold gives the providers, in order; each is then asked whether it
takes the payment (currency, amount, required fields) and the first that does is tried first, the next
ones on failover. No rules at all: every enabled provider, in `ENABLED_PROVIDERS` order. Rules that match
nothing: the payment is refused (422), since the operator's rules leave no provider for it."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from paygate.currencies import MINOR_UNITS
from paygate.fields import AMOUNT_PATTERN


class Condition(BaseModel):
    """What a payment must be for a rule to apply. Every condition given must hold; none given: always."""

    model_config = ConfigDict(extra="forbid")

    currency: Annotated[list[str], Field(min_length=1)] | None = None
    amount_min: Annotated[str, StringConstraints(pattern=AMOUNT_PATTERN)] | None = None  # inclusive
    amount_max: Annotated[str, StringConstraints(pattern=AMOUNT_PATTERN)] | None = None  # inclusive
    # true: only payments that name a coin to pay in; false: only those that do not.
    pay_currency: bool | None = None
    # The customer's country (ISO 3166-1 alpha-2); a payment whose country is not known never matches.
    country: Annotated[list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]], Field(min_length=1)] | None = (
        None
    )

    @model_validator(mode="after")
    def _sensible(self) -> Condition:
        unknown = [code for code in self.currency or [] if code not in MINOR_UNITS]
        if unknown:
            raise ValueError(f"currency: not ISO 4217 codes Paygate knows: {', '.join(unknown)}")
        if self.amount_min and self.amount_max and Decimal(self.amount_min) > Decimal(self.amount_max):
            raise ValueError("amount_min is greater than amount_max")
        return self

    def holds(self, *, currency: str, amount: Decimal, pay_currency: bool, country: str | None) -> bool:
        return (
            (self.currency is None or currency in self.currency)
            and (self.amount_min is None or amount >= Decimal(self.amount_min))
            and (self.amount_max is None or amount <= Decimal(self.amount_max))
            and (self.pay_currency is None or pay_currency == self.pay_currency)
            and (self.country is None or (country is not None and country in self.country))
        )


class RoutingRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: Condition = Field(default_factory=Condition)
    providers: Annotated[list[str], Field(min_length=1)]


class RoutingRulesError(ValueError):
    """The configured rules cannot be used; the message says which rule and why."""


def parse_rules(text: str, *, enabled: list[str]) -> list[RoutingRule]:
    """The rules of `ROUTING_RULES` (empty: none), each checked against the enabled providers."""
    if not text.strip():
        return []
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise RoutingRulesError(f"ROUTING_RULES is not JSON: {error}") from None
    if not isinstance(raw, list):
        raise RoutingRulesError("ROUTING_RULES must be a JSON list of rules")
    rules = []
    for number, entry in enumerate(raw, start=1):
        try:
            rule = RoutingRule.model_validate(entry)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, problem['loc'])) or 'rule'}: {problem['msg']}" for problem in error.errors()
            )
            raise RoutingRulesError(f"routing rule {number}: {problems}") from None
        not_enabled = [name for name in rule.providers if name not in enabled]
        if not_enabled:
            raise RoutingRulesError(
                f"routing rule {number}: names {', '.join(not_enabled)}, not among the enabled providers "
                f"({', '.join(enabled)})"
            )
        if len(set(rule.providers)) != len(rule.providers):
            raise RoutingRulesError(f"routing rule {number}: names a provider twice")
        rules.append(rule)
    return rules


def providers_for(
    rules: list[RoutingRule],
    enabled: list[str],
    *,
    currency: str,
    amount: Decimal,
    pay_currency: bool,
    country: str | None,
) -> list[str] | None:
    """The providers to try, in order: the first matching rule's, or every enabled one when there are no
    rules. None when there are rules and none matches."""
    if not rules:
        return list(enabled)
    for rule in rules:
        if rule.when.holds(currency=currency, amount=amount, pay_currency=pay_currency, country=country):
            return list(rule.providers)
    return None
