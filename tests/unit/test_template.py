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
from paygate.providers.catalog import SPECS, Capability
from tests import factories

# Reading and writing DynamoDB around the provider calls, and the function's own start.
MARGIN_SECONDS = 2.0


def timeout(function: str) -> float:
    resources = template.load()["Resources"]
    globals_ = template.load()["Globals"]["Function"]
    return float(resources[function]["Properties"].get("Timeout", globals_["Timeout"]))


# Which provider calls each function can make in one invocation, as the spec counts them. (Failover goes
# on to a next provider only while the invocation's deadline leaves it time: the first attempt must fit.)
BUDGETS = {
    "CreatePaymentFunction": lambda spec: spec.create_calls,
    "CheckoutFunction": lambda spec: spec.create_calls,  # the customer's choice creates the payment
    "GetPaymentFunction": lambda spec: spec.status_calls,  # ?force_sync=true
    "IpnCallbackFunction": lambda spec: spec.status_calls,  # unsigned callbacks are confirmed first
    "CheckPaymentsFunction": lambda spec: spec.status_calls,  # a due check
    # A refund through the provider's API and, when its outcome is unknown, the refund's status.
    "RefundsFunction": lambda spec: spec.refund_calls + 1 if Capability.REFUND in spec.capabilities else 0,
}


@pytest.mark.parametrize("function", sorted(BUDGETS))
@pytest.mark.parametrize("provider", sorted(SPECS))
def test_every_provider_call_budget_fits_the_function_timeout(function, provider):
    calls = BUDGETS[function](SPECS[provider])
    budget = calls * factories.settings().provider_timeout_seconds + MARGIN_SECONDS
    assert budget <= timeout(function), f"{provider}: {calls} calls cannot finish within {function}'s timeout"


MESSAGE = "A message from API Gateway"
# What each of API Gateway's own answers must say, rendered by the same code as the functions' errors.
GATEWAY_RESPONSES = {
    "UNAUTHORIZED": AuthenticationFailed("Missing or invalid X-API-Key", code="invalid_api_key"),
    "ACCESS_DENIED": AuthenticationFailed("Missing or invalid X-API-Key", code="invalid_api_key"),
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


# --- operations: what the template promises an operator -------------------------------------------


def functions() -> dict[str, dict]:
    return template.resources("AWS::Serverless::Function")


def alarms() -> list[dict]:
    return [alarm["Properties"] for alarm in template.resources("AWS::CloudWatch::Alarm").values()]


def alarmed(namespace: str, metric: str, dimension_value: dict) -> bool:
    """Whether some alarm watches this metric of this resource."""
    return any(
        alarm.get("Namespace") == namespace
        and alarm.get("MetricName") == metric
        and any(dimension["Value"] == dimension_value for dimension in alarm.get("Dimensions", []))
        for alarm in alarms()
    )


@pytest.mark.parametrize("function", sorted(functions()))
@pytest.mark.parametrize("metric", ["Errors", "Throttles", "Duration"])
def test_every_function_has_its_alarms(function, metric):
    assert alarmed("AWS/Lambda", metric, {"Ref": function}), f"no {metric} alarm on {function}"


def test_duration_alarms_sound_before_the_timeout():
    for name in functions():
        own = [{"Name": "FunctionName", "Value": {"Ref": name}}]  # a new version's latency alarm names it too
        [alarm] = [a for a in alarms() if a.get("MetricName") == "Duration" and a["Dimensions"] == own]
        assert alarm["Threshold"] < timeout(name) * 1000, name


def test_every_alarm_notifies_the_alarm_topic():
    # (the template reader writes the short form `!If` as {"If": ...})
    topic = [{"If": ["HasAlarmTopic", {"Ref": "AlarmTopicArn"}, {"Ref": "AlarmTopic"}]}]
    for alarm in alarms():
        assert alarm["AlarmActions"] == topic, alarm["AlarmDescription"]


def queue_of(arn: dict) -> str:
    """The logical id of the queue a `!GetAtt Queue.Arn` names."""
    return arn["GetAtt"].split(".")[0] if isinstance(arn.get("GetAtt"), str) else arn["GetAtt"][0]


def failure_queues() -> dict[str, list[str]]:
    """Every asynchronous path and the queue its failures go to."""
    paths: dict[str, list[str]] = {}
    for name, function in functions().items():
        properties = function["Properties"]
        for event_name, event in properties.get("Events", {}).items():
            kind, source = event["Type"], event["Properties"]
            path = f"{name}.{event_name}"
            if kind == "ScheduleV2":
                paths[path] = [queue_of(source["DeadLetterConfig"]["Arn"])]
                # Scheduler invokes asynchronously: the function's own failures need a destination too
                on_failure = properties["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"]
                paths[path].append(queue_of(on_failure))
            elif kind == "DynamoDB":
                paths[path] = [queue_of(source["DestinationConfig"]["OnFailure"]["Destination"])]
            elif kind == "SQS":
                queue = template.load()["Resources"][queue_of(source["Queue"])]["Properties"]
                paths[path] = [queue_of(queue["RedrivePolicy"]["deadLetterTargetArn"])]
    for name, rule in template.resources("AWS::Events::Rule").items():
        for target in rule["Properties"]["Targets"]:
            paths[f"{name}.{target['Id']}"] = [queue_of(target["DeadLetterConfig"]["Arn"])]
    return paths


def test_every_async_path_has_a_failure_queue_with_an_alarm():
    paths = failure_queues()
    assert {"FindDueChecksFunction.Sweep", "PublishEventsFunction.PaymentsStream"} <= set(paths)
    for path, queues in paths.items():
        for queue in queues:
            watched = {"Fn::GetAtt": [queue, "QueueName"]}
            assert any(
                alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
                and alarm["Dimensions"][0]["Value"]
                in (watched, {"GetAtt": f"{queue}.QueueName"}, {"GetAtt": [queue, "QueueName"]})
                for alarm in alarms()
            ), f"{path}: nothing alarms on {queue}"


def test_the_sweep_runs_one_at_a_time_without_lambda_retries_and_a_heartbeat():
    sweep = functions()["FindDueChecksFunction"]["Properties"]
    assert sweep["ReservedConcurrentExecutions"]["If"][1] == 1
    assert sweep["EventInvokeConfig"]["MaximumRetryAttempts"] == 0
    heartbeat = [a for a in alarms() if a.get("MetricName") == "SweepCompleted"]
    assert heartbeat and heartbeat[0]["TreatMissingData"] == "breaching"


API_FUNCTIONS = sorted(
    name
    for name, function in functions().items()
    if any(event["Type"] == "Api" for event in function["Properties"].get("Events", {}).values())
    and name != "SandboxFunction"  # test mode: deployed all at once
)


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_api_functions_deploy_by_canary_behind_an_alias_with_rollback_alarms(function):
    properties = functions()[function]["Properties"]
    assert template.load()["Globals"]["Function"]["AutoPublishAlias"] == "live"
    preference = properties["DeploymentPreference"]
    assert "Canary10Percent5Minutes" in json.dumps(preference["Type"])
    assert {"Ref": f"{function.removesuffix('Function')}ErrorsAlarm"} in preference["Alarms"]


NAMED = ("Name", "LogGroupName", "LayerName", "DashboardName", "EventBusName")


def test_every_name_derives_from_the_stack_name():
    """Two stacks (staging, production) live in one account: nothing is named outside the stack's name."""
    for name, resource in template.load()["Resources"].items():
        properties = resource.get("Properties", {})
        for key in NAMED:
            if key in properties and key != "EventBusName":
                assert "AWS::StackName" in json.dumps(properties[key]), f"{name}.{key} = {properties[key]}"
        for event in properties.get("Events", {}).values():
            if "Name" in event.get("Properties", {}):
                assert "AWS::StackName" in json.dumps(event["Properties"]["Name"]), name
    bus = template.load()["Resources"]["PaymentEventsBus"]["Properties"]["Name"]
    assert "AWS::StackName" in json.dumps(bus)


def test_the_stream_is_read_from_the_oldest_record():
    [stream] = [
        event["Properties"]
        for event in functions()["PublishEventsFunction"]["Properties"]["Events"].values()
        if event["Type"] == "DynamoDB"
    ]
    assert stream["StartingPosition"] == "TRIM_HORIZON"


def test_test_mode_is_on_by_default_and_off_for_a_production_stage():
    condition = json.dumps(template.load()["Conditions"]["IsTestMode"])
    assert '{"Not": [{"Equals": [{"Ref": "Stage"}, "prod"]}]}' in condition
    assert functions()["SandboxFunction"]["Condition"] == "IsTestMode"
