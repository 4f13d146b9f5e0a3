"""What template.yaml promises about the data it keeps and the edges it shows, read from the template itself:
no token in the access logs, merchants' tables that survive a mistaken delete, async events that cannot
wait forever, and a first deploy with the defaults that neither fails nor takes over account-wide settings."""

from __future__ import annotations

import json

import pytest

from local import template

# Purely transient tables (each says why in template.yaml): everything else holds merchants' data.
TRANSIENT_TABLES = {"IdempotencyTable", "SandboxTable"}


def tables() -> dict[str, dict]:
    return template.resources("AWS::DynamoDB::Table")


def merchant_tables() -> list[str]:
    return sorted(set(tables()) - TRANSIENT_TABLES)


def access_log_formats() -> list[str]:
    formats = []
    for kind in ("AWS::Serverless::Api", "AWS::ApiGateway::Stage", "AWS::Serverless::HttpApi"):
        for resource in template.resources(kind).values():
            setting = resource["Properties"].get("AccessLogSetting") or resource["Properties"].get("AccessLogSettings")
            if setting:
                formats.append(setting["Format"])
    return formats


def test_access_logs_name_the_route_never_the_path_that_carries_checkout_tokens():
    formats = access_log_formats()
    assert formats, "the API writes access logs"
    for log_format in formats:
        assert "$context.path" not in log_format  # /checkout/<signed link>: the customer's key to the page
        assert "$context.resourcePath" in log_format  # /checkout/{token}
        json.loads(log_format)  # one JSON object a line


def test_the_transient_tables_are_what_the_template_says_they_are():
    assert set(tables()) >= TRANSIENT_TABLES
    assert {"PaymentsTable", "RefundsTable", "AccountsTable", "ApiKeysTable", "WebhookEndpointsTable"} <= set(
        merchant_tables()
    )


@pytest.mark.parametrize("table", merchant_tables())
def test_every_table_of_merchants_data_is_protected_from_deletion_and_recoverable(table):
    resource = tables()[table]
    properties = resource["Properties"]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    assert properties["DeletionProtectionEnabled"] == {"Ref": "DeletionProtection"}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_deletion_protection_is_on_by_default():
    assert template.load()["Parameters"]["DeletionProtection"]["Default"] == "true"


def event_invoke_configs() -> dict[str, dict]:
    configs = {
        name: function["Properties"]["EventInvokeConfig"]
        for name, function in template.resources("AWS::Serverless::Function").items()
        if "EventInvokeConfig" in function["Properties"]
    }
    for name, resource in template.resources("AWS::Lambda::EventInvokeConfig").items():
        configs[name] = resource["Properties"]
    return configs


def test_every_event_invoke_config_bounds_the_age_of_an_event():
    configs = event_invoke_configs()
    assert {"FindDueChecksFunction", "DeliverWebhooksFunction"} <= set(configs)
    for name, config in configs.items():
        assert 60 <= config["MaximumEventAgeInSeconds"] <= 21600, name
        assert "OnFailure" in config["DestinationConfig"], name  # an event too old goes somewhere alarmed


# --- a first deploy with the defaults -----------------------------------------------------------------


def default(parameter: str) -> str:
    return template.load()["Parameters"][parameter]["Default"]


def test_a_first_deploy_does_not_take_over_the_account_wide_api_gateway_role():
    assert default("ApiGatewayLogging") == "existing"
    conditions = template.load()["Conditions"]
    assert conditions["CreateApiGatewayLogsRole"] == {"Equals": [{"Ref": "ApiGatewayLogging"}, "create"]}
    resources = template.load()["Resources"]
    assert resources["ApiGatewayAccount"]["Condition"] == "CreateApiGatewayLogsRole"
    assert resources["ApiGatewayLogsRole"]["Condition"] == "CreateApiGatewayLogsRole"


def test_the_api_stage_waits_for_the_account_logging_role_when_the_stack_sets_it():
    """SAM gives the API's DependsOn to its RestApi, on which its deployment and stage depend. DependsOn
    cannot name a conditional resource; a handle that references it under the same condition can."""
    resources = template.load()["Resources"]
    depends_on = resources["PaygateApi"]["DependsOn"]
    handles = [depends_on] if isinstance(depends_on, str) else depends_on
    references = [json.dumps(resources[handle].get("Metadata", {})) for handle in handles]
    condition_aware = {"If": ["CreateApiGatewayLogsRole", {"Ref": "ApiGatewayAccount"}, {"Ref": "AWS::NoValue"}]}
    assert any(json.dumps(condition_aware) in reference for reference in references)
    for handle in handles:
        assert "Condition" not in resources[handle]  # it exists whether or not the role is made


def test_a_first_deploy_reserves_no_concurrency_a_new_account_does_not_have():
    assert default("ReserveConcurrency") == "false"
    for name, function in template.resources("AWS::Serverless::Function").items():
        reserved = function["Properties"].get("ReservedConcurrentExecutions")
        if reserved is not None:
            assert reserved["If"][0] == "IsReserveConcurrency", name
            assert reserved["If"][2] == {"Ref": "AWS::NoValue"}, name


# --- webhook secrets at rest -----------------------------------------------------------------------


def kms_actions() -> dict[str, set[str]]:
    """Every function's KMS actions, from its inline policies."""
    found: dict[str, set[str]] = {}
    for name, function in template.resources("AWS::Serverless::Function").items():
        for policy in function["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                found.setdefault(name, set()).update(action for action in actions if action.startswith("kms:"))
    return {name: actions for name, actions in found.items() if actions}


def test_webhook_secrets_are_sealed_with_a_rotated_customer_key_only_two_functions_use():
    key = template.load()["Resources"]["WebhookSecretsKey"]
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"  # without it, no sealed secret opens again
    # The endpoint API seals (never opens); the delivery worker opens (never seals); nothing else touches it
    assert kms_actions() == {"WebhookEndpointsFunction": {"kms:Encrypt"}, "DeliverWebhooksFunction": {"kms:Decrypt"}}
    functions = template.resources("AWS::Serverless::Function")
    for name in ("WebhookEndpointsFunction", "DeliverWebhooksFunction"):
        variables = functions[name]["Properties"]["Environment"]["Variables"]
        assert variables["WEBHOOK_SECRETS_KEY"] == {"GetAtt": "WebhookSecretsKey.Arn"}


# --- the public sandbox ----------------------------------------------------------------------------


def secrets_readable_by(function: str) -> list[str]:
    properties = template.resources("AWS::Serverless::Function")[function]["Properties"]
    found: list[str] = []
    for policy in properties.get("Policies", []):
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(action.startswith("secretsmanager:") for action in actions):
                resources = (
                    statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                )
                found.extend(json.dumps(resource) for resource in resources)
    return found


def test_the_public_sandbox_function_reads_only_the_sandbox_secret():
    sandbox = template.resources("AWS::Serverless::Function")["SandboxFunction"]["Properties"]
    [readable] = secrets_readable_by("SandboxFunction")
    assert "${SandboxSecretName}-*" in readable
    assert "ProviderSecretName" not in readable and "CheckoutSecret" not in readable
    assert not any("kms:" in json.dumps(policy) for policy in sandbox["Policies"])
    # and it is not even told the name of the real providers' secret
    assert sandbox["Environment"]["Variables"]["SECRET_NAME"] == ""
    globals_ = template.load()["Globals"]["Function"]["Environment"]["Variables"]
    assert globals_["SANDBOX_SECRET_NAME"] == {"If": ["IsTestMode", {"Ref": "SandboxSecretName"}, ""]}


def test_the_gateway_reads_the_sandbox_secret_only_in_test_mode():
    for name in template.resources("AWS::Serverless::Function"):
        for readable in secrets_readable_by(name):
            if "SandboxSecretName" in readable and name != "SandboxFunction":
                assert readable.startswith('{"If": ["IsTestMode"'), name
