"""What template.yaml promises, read from the template itself: every provider-call budget fits the timeout
of the function that spends it, and API Gateway's own answers use the one error shape."""

from __future__ import annotations

import json

import pytest

from local import template
from paygate.errors import (
    AuthenticationFailed,
    InvalidRequest,
    PaygateError,
    TooManyRequests,
)
from paygate.lifecycle.sweeper import Sweeper
from paygate.providers import SPECS
from tests import factories

# Reading and writing DynamoDB around the provider calls, and the function's own start.
MARGIN_SECONDS = 2.0


def timeout(function: str) -> float:
    resources = template.load()["Resources"]
    globals_ = template.load()["Globals"]["Function"]
    return float(resources[function]["Properties"].get("Timeout", globals_["Timeout"]))


# Which provider calls each function can make in one invocation, as the spec counts them.
BUDGETS = {
    "CreatePaymentFunction": lambda spec: spec.create_calls,
    "GetPaymentFunction": lambda spec: spec.status_calls,  # ?force_sync=true
    "IpnCallbackFunction": lambda spec: spec.status_calls,  # unsigned callbacks are confirmed first
}


@pytest.mark.parametrize("function", sorted(BUDGETS))
@pytest.mark.parametrize("provider", sorted(SPECS))
def test_every_provider_call_budget_fits_the_function_timeout(function, provider):
    calls = BUDGETS[function](SPECS[provider])
    budget = calls * factories.settings().provider_timeout_seconds + MARGIN_SECONDS
    assert budget <= timeout(function), f"{provider}: {calls} calls cannot finish within {function}'s timeout"


def test_the_sweep_stops_while_one_more_check_still_fits(dynamodb, clock):
    sweeper = Sweeper(factories.gateway(dynamodb, clock))
    assert sweeper.check_budget_seconds + MARGIN_SECONDS <= timeout("ExpirePaymentsFunction")
    # and it checks the time left before starting one
    assert sweeper.sweep(time_left=lambda: sweeper.check_budget_seconds - 0.1) == {
        "checked": 0,
        "failed_checks": 0,
        "stopped_early": 1,
    }


MESSAGE = "A message from API Gateway"
# What each of API Gateway's own answers must say, rendered by the same code as the functions' errors.
GATEWAY_RESPONSES = {
    "INVALID_API_KEY": AuthenticationFailed("Missing or invalid X-API-Key", code="invalid_api_key"),
    "BAD_REQUEST_BODY": InvalidRequest(MESSAGE, code="invalid_json"),
    "REQUEST_TOO_LARGE": InvalidRequest("Request body too large", code="body_too_large"),
    "THROTTLED": TooManyRequests(MESSAGE, code="rate_limited"),
    "QUOTA_EXCEEDED": TooManyRequests(MESSAGE, code="quota_exceeded"),
    "DEFAULT_4XX": InvalidRequest(MESSAGE, code="bad_request"),
    "DEFAULT_5XX": PaygateError(MESSAGE),
}


def gateway_responses() -> dict[str, dict]:
    [api] = template.resources("AWS::Serverless::Api").values()
    return api["Properties"]["GatewayResponses"]


def test_every_gateway_response_is_listed_here():
    assert set(gateway_responses()) == set(GATEWAY_RESPONSES)


@pytest.mark.parametrize("name", sorted(GATEWAY_RESPONSES))
def test_gateway_responses_render_the_one_error_shape(name):
    response = gateway_responses()[name]
    # API Gateway substitutes its message as a JSON string where the template names it.
    text = response["ResponseTemplates"]["application/json"].replace(
        "$context.error.messageString", json.dumps(MESSAGE)
    )
    expected = GATEWAY_RESPONSES[name]
    assert json.loads(text) == expected.body()
    if "StatusCode" in response:
        assert int(response["StatusCode"]) == expected.http_status
