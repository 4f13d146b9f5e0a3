"""What the deployed stack promises its operator, read from the template as CloudFormation gets it (after
the SAM transform, as `sam validate` makes it): alarms reach a person, deploys roll back on what a
customer would see, and two stages never mix their metrics."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from local import template
from paygate.providers.catalog import SPECS


def resources(**parameters: str) -> dict[str, dict]:
    return template.transformed(**parameters)["Resources"]


def of_type(kind: str, **parameters: str) -> dict[str, dict]:
    return {name: res for name, res in resources(**parameters).items() if res["Type"] == kind}


# --- alarms reach a person ------------------------------------------------------------------------


def test_the_alarm_topic_is_encrypted_with_a_rotated_key_of_its_own():
    topic = resources()["AlarmTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": ["AlarmTopicKey", "Arn"]}  # not alias/aws/sns
    key = resources()["AlarmTopicKey"]
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True


def test_cloudwatch_may_use_the_alarm_topic_key_to_publish():
    statements = resources()["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch and cloudwatch[0]["Effect"] == "Allow"
    assert {"kms:GenerateDataKey*", "kms:Decrypt"} <= set(cloudwatch[0]["Action"])
    assert all(s["Principal"] != "*" and s["Principal"] != {"AWS": "*"} for s in statements)


def test_a_stack_that_makes_its_topic_must_be_given_an_email():
    [rule] = template.transformed()["Rules"].values()
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}
    [assertion] = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    email = template.transformed()["Parameters"]["AlarmEmail"]
    pattern = re.compile(email["AllowedPattern"])
    assert pattern.fullmatch("ops@example.com") and pattern.fullmatch("")  # empty: a topic of yours instead
    assert not pattern.fullmatch("not an email") and not pattern.fullmatch("ops@")
    subscription = resources()["AlarmEmailSubscription"]["Properties"]
    assert subscription["Protocol"] == "email" and subscription["Endpoint"] == {"Ref": "AlarmEmail"}


# --- deploys roll back on what a customer would see -----------------------------------------------

# The functions a payment goes through (the API's, and the key authorizer in front of them), and the
# workers that move it on afterwards.
API_FUNCTIONS = sorted(
    [
        name
        for name, function in template.resources("AWS::Serverless::Function").items()
        if any(event["Type"] == "Api" for event in function["Properties"].get("Events", {}).values())
        and name != "SandboxFunction"  # test mode only, deployed all at once
    ]
    + ["AuthorizerFunction"]
)
WORKERS = ["FindDueChecksFunction", "CheckPaymentsFunction", "PublishEventsFunction", "DeliverWebhooksFunction"]


def test_the_payment_path_is_every_function_a_payment_goes_through():
    payment_path = {"CreatePaymentFunction", "GetPaymentFunction", "IpnCallbackFunction", "CheckoutFunction"}
    payment_path |= {"RefundsFunction", "CancelPaymentFunction", "AcceptPaymentFunction", "AuthorizerFunction"}
    assert payment_path <= set(API_FUNCTIONS)


def version_of(function: str) -> str:
    """The logical id of the version SAM publishes for the function (AutoPublishAlias)."""
    alias = resources()[f"{function}Aliaslive"]["Properties"]
    return alias["FunctionVersion"]["Fn::GetAtt"][0]


def rollback_alarms(function: str) -> list[dict]:
    """The alarms whose state rolls the function's deployment back, as CodeDeploy's group names them."""
    group = resources()[f"{function}DeploymentGroup"]["Properties"]
    assert group["AutoRollbackConfiguration"]["Enabled"] is True
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]
    return [resources()[alarm["Name"]["Ref"]]["Properties"] for alarm in group["AlarmConfiguration"]["Alarms"]]


def dimensions(alarm: dict) -> dict:
    return {dimension["Name"]: dimension["Value"] for dimension in alarm.get("Dimensions", [])}


def on_new_version(alarm: dict, function: str) -> bool:
    """Whether the alarm watches only what the function's new version served."""
    watched = dimensions(alarm)
    return watched.get("FunctionName") == {"Ref": function} and watched.get("ExecutedVersion") == {
        "Fn::GetAtt": [version_of(function), "Version"]
    }


def counts_5xx(alarm: dict, function: str) -> bool:
    """The 500s the API edge counts (ApiInternalErrors); the checkout catches nothing and the authorizer
    refuses with a Deny, so a crash of either is its 5xx (API Gateway's 502 or 500)."""
    if function in ("CheckoutFunction", "AuthorizerFunction"):
        return alarm["Namespace"] == "AWS/Lambda" and alarm["MetricName"] == "Errors"
    return alarm["Namespace"] == {"Fn::Sub": "Paygate-${Stage}"} and alarm["MetricName"] == "ApiInternalErrors"


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_a_deploy_rolls_back_on_the_new_versions_5xx(function):
    [answered_5xx] = [
        alarm for alarm in rollback_alarms(function) if counts_5xx(alarm, function) and on_new_version(alarm, function)
    ]
    assert on_new_version(answered_5xx, function)
    assert answered_5xx["Statistic"] == "Sum" and answered_5xx["Threshold"] == 0
    assert answered_5xx["ComparisonOperator"] == "GreaterThanThreshold"


@pytest.mark.parametrize("function", API_FUNCTIONS + WORKERS)
def test_a_deploy_rolls_back_on_the_new_versions_p99_latency(function):
    [latency] = [
        alarm
        for alarm in rollback_alarms(function)
        if alarm["MetricName"] == "Duration" and alarm["Namespace"] == "AWS/Lambda"
    ]
    assert on_new_version(latency, function)
    assert latency["ExtendedStatistic"] == "p99" and "Statistic" not in latency
    assert dimensions(latency)["Resource"] == {"Fn::Sub": f"${{{function}}}:live"}  # through the alias
    timeout = resources()[function]["Properties"]["Timeout"]
    assert latency["Threshold"] < timeout * 1000


@pytest.mark.parametrize("function", API_FUNCTIONS + WORKERS)
def test_a_deploy_still_rolls_back_on_the_functions_errors(function):
    assert any(
        alarm["MetricName"] == "Errors" and dimensions(alarm) == {"FunctionName": {"Ref": function}}
        for alarm in rollback_alarms(function)
    )


# --- the synthetic payment before and after each shift ---------------------------------------------

HOOKED = ["CreatePaymentFunction", "GetPaymentFunction", "IpnCallbackFunction"]


@pytest.mark.parametrize("function", HOOKED)
def test_the_deploy_check_runs_before_and_after_the_traffic_shift(function):
    update = resources()[f"{function}Aliaslive"]["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["BeforeAllowTrafficHook"] == {"Ref": "DeployCheckFunction"}
    assert update["AfterAllowTrafficHook"] == {"Ref": "DeployCheckFunction"}


def test_the_deploy_check_invokes_the_new_versions_and_may_report_to_codedeploy():
    hook = resources()["DeployCheckFunction"]["Properties"]
    # CodeDeploy's role (SAM's) may invoke CodeDeployHook_* only
    assert hook["FunctionName"] == {"Fn::Sub": "CodeDeployHook_${AWS::StackName}"}
    role = resources()["CodeDeployServiceRole"]["Properties"]
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda"]
    variables = hook["Environment"]["Variables"]
    targets = {"DEPLOY_CHECK_CREATE": HOOKED[0], "DEPLOY_CHECK_READ": HOOKED[1], "DEPLOY_CHECK_CALLBACK": HOOKED[2]}
    for variable, function in targets.items():
        assert variables[variable] == {"Ref": version_of(function)}  # the version the alias moves to
    [policy] = resources()["DeployCheckFunctionRole"]["Properties"]["Policies"]
    statements = {statement["Sid"]: statement for statement in policy["PolicyDocument"]["Statement"]}
    assert statements["InvokeNewVersions"]["Action"] == "lambda:InvokeFunction"
    assert statements["InvokeNewVersions"]["Resource"] == [{"Ref": version_of(f)} for f in HOOKED]
    assert statements["ReportToCodeDeploy"]["Action"] == "codedeploy:PutLifecycleEventHookExecutionStatus"
    assert "${ServerlessDeploymentApplication}" in json.dumps(statements["ReportToCodeDeploy"]["Resource"])
    assert "DeploymentPreference" not in template.load()["Resources"]["DeployCheckFunction"]["Properties"]


# --- every stage its own metrics -------------------------------------------------------------------


def resolved(value: Any, stage: str) -> Any:
    """`value` with the Stage parameter written in, as CloudFormation would (Ref and Fn::Sub)."""
    if isinstance(value, dict):
        if value == {"Ref": "Stage"}:
            return stage
        if isinstance(value.get("Fn::Sub"), str):
            return value["Fn::Sub"].replace("${Stage}", stage)
        return {key: resolved(item, stage) for key, item in value.items()}
    if isinstance(value, list):
        return [resolved(item, stage) for item in value]
    return value


def watched_metrics(stage: str) -> set[str]:
    """Every metric of the stack's own namespace an alarm watches, with its dimensions, for one stage."""
    found = set()
    for alarm in of_type("AWS::CloudWatch::Alarm", Stage=stage).values():
        properties = resolved(alarm["Properties"], stage)
        metrics = [properties] + [
            query["MetricStat"]["Metric"] for query in properties.get("Metrics", []) if "MetricStat" in query
        ]
        for metric in metrics:
            if "Namespace" in metric and not str(metric["Namespace"]).startswith("AWS/"):
                found.add(
                    json.dumps([metric["Namespace"], metric["MetricName"], metric.get("Dimensions")], sort_keys=True)
                )
    return found


def test_two_stages_share_no_metric_namespace_nor_alarm_dimension():
    staging, production = watched_metrics("staging"), watched_metrics("prod")
    assert staging and len(staging) == len(production)
    assert not staging & production
    for metric in staging:
        namespace, _, dimensions_ = json.loads(metric)
        assert namespace == "Paygate-staging"
        assert {"Name": "service", "Value": "paygate-staging"} in dimensions_


def test_each_stage_writes_its_metrics_where_its_alarms_and_dashboard_look():
    for stage in ("staging", "prod"):
        function = resolved(resources(Stage=stage)["CreatePaymentFunction"]["Properties"], stage)
        environment = function["Environment"]["Variables"]
        assert environment["POWERTOOLS_METRICS_NAMESPACE"] == f"Paygate-{stage}"
        assert environment["POWERTOOLS_SERVICE_NAME"] == f"paygate-{stage}"
        body = resolved(resources(Stage=stage)["Dashboard"]["Properties"]["DashboardBody"], stage)
        namespaces = {
            metric[0]
            for widget in json.loads(body)["widgets"]
            for metric in widget["properties"]["metrics"]
            if isinstance(metric, list) and not metric[0].startswith(".")
        }
        assert namespaces - {"AWS/ApiGateway", "AWS/SQS", "AWS/DynamoDB"} == {f"Paygate-{stage}"}


# --- providers: one alarm each, and the circuit while it is open ------------------------------------


def alarms_on(metric_name: str) -> list[dict]:
    """Alarms (metric math included) reading `metric_name`, with the provider their query names."""
    found = []
    for alarm in of_type("AWS::CloudWatch::Alarm").values():
        for query in alarm["Properties"].get("Metrics", []):
            metric = query.get("MetricStat", {}).get("Metric", {})
            if metric.get("MetricName") == metric_name:
                found.append({"alarm": alarm["Properties"], "provider": dimensions(metric).get("provider")})
    return found


def test_every_provider_has_its_own_error_rate_alarm_and_none_is_an_aggregate():
    for metric in ("ProviderErrors", "ProviderCalls"):
        providers = [found["provider"] for found in alarms_on(metric)]
        assert sorted(providers) == sorted(SPECS), metric  # one each, none without a provider


def test_every_provider_has_a_circuit_alarm_that_stays_on_while_calls_are_refused():
    """Opening is counted once; each call the open circuit refuses after is counted (test_failover), and
    keeps the alarm on."""
    opened, refused = alarms_on("ProviderCircuitOpened"), alarms_on("ProviderSkipped")
    assert sorted(found["provider"] for found in opened) == sorted(SPECS)
    for found in opened:
        alarm = found["alarm"]
        [same] = [other for other in refused if other["alarm"] is alarm]
        assert same["provider"] == found["provider"]
        [expression] = [query["Expression"] for query in alarm["Metrics"] if "Expression" in query]
        assert expression == "FILL(opened, 0) + FILL(skipped, 0)"
        assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_duration_alarms_are_on_p99_not_the_maximum():
    for alarm in of_type("AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        if properties.get("MetricName") == "Duration":
            assert properties.get("ExtendedStatistic") == "p99" and "Statistic" not in properties


def test_the_dashboard_has_a_row_per_provider():
    body = resolved(resources()["Dashboard"]["Properties"]["DashboardBody"], "v1")
    widgets = json.loads(body)["widgets"]
    for provider in SPECS:
        row = [widget for widget in widgets if widget["properties"]["title"].startswith(f"{provider}:")]
        assert len(row) == 2 and len({widget["y"] for widget in row}) == 1, provider
        assert all(
            metric[-1] == provider for widget in row for metric in widget["properties"]["metrics"] if metric[0] != "."
        )
