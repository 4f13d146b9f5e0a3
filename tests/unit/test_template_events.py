"""What template.yaml offers other services: the events bus (its name and ARN exported, a policy for the
consumer accounts exactly when some are given), the events' schemas in the Schema Registry, and never the
table's stream."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft4Validator

from local import event_schemas, template
from paygate.events import EVENT_TYPES, status_change
from paygate.models import Status
from tests import factories

POLICIES = {
    "EventConsumerAccounts": "EventConsumerAccountsPolicy",
    "EventConsumerOrganization": "EventConsumerOrganizationPolicy",
}


def holds(condition: Any, parameters: dict[str, Any], conditions: dict[str, Any]) -> Any:
    """A CloudFormation condition's value for these parameters (the intrinsics conditions use)."""
    if not isinstance(condition, dict):
        return condition
    ((name, args),) = condition.items()
    if name == "Ref":
        return parameters[args]
    if name == "Condition":
        return holds(conditions[args], parameters, conditions)
    values = [holds(arg, parameters, conditions) for arg in (args if isinstance(args, list) else [args])]
    if name == "Not":
        return not values[0]
    if name == "Equals":
        return values[0] == values[1]
    if name == "Join":
        return values[0].join(values[1])
    raise AssertionError(f"no evaluation for {name}")


def deployed_policies(**given: Any) -> set[str]:
    document = template.load()
    parameters = {name: spec.get("Default") for name, spec in document["Parameters"].items()}
    parameters["EventConsumerAccounts"] = [part for part in parameters["EventConsumerAccounts"].split(",") if part]
    parameters.update(given)
    conditions = document["Conditions"]
    return {
        name
        for name, resource in template.resources("AWS::Events::EventBusPolicy").items()
        if holds({"Condition": resource["Condition"]}, parameters, conditions)
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, set()),
        ({"EventConsumerAccounts": ["111122223333", "444455556666"]}, {"EventConsumerAccountsPolicy"}),
        ({"EventConsumerOrganization": "o-a1b2c3d4e5"}, {"EventConsumerOrganizationPolicy"}),
        (
            {"EventConsumerAccounts": ["111122223333"], "EventConsumerOrganization": "o-a1b2c3d4e5"},
            set(POLICIES.values()),
        ),
    ],
)
def test_the_bus_policy_exists_exactly_when_consumers_are_given(given, expected):
    assert deployed_policies(**given) == expected


@pytest.mark.parametrize("policy", POLICIES.values())
def test_consumers_may_manage_only_their_own_rules_on_the_payment_events_bus(policy):
    statement = template.resources("AWS::Events::EventBusPolicy")[policy]["Properties"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert all(action.startswith("events:") and "PutEvents" not in action for action in statement["Action"])
    assert statement["Resource"]["Sub"].endswith(":rule/${PaymentEventsBus}/*")
    assert statement["Condition"]["StringEqualsIfExists"] == {"events:creatorAccount": "${aws:PrincipalAccount}"}
    if policy == "EventConsumerOrganizationPolicy":  # anyone, so only within the organization
        assert statement["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": {"Ref": "EventConsumerOrganization"}}
    else:
        assert statement["Principal"] == {"AWS": {"Ref": "EventConsumerAccounts"}}


def test_the_bus_is_exported_and_no_output_offers_the_tables_stream():
    outputs = template.load()["Outputs"]
    assert outputs["EventBusName"]["Export"] == {"Name": {"Sub": "${AWS::StackName}-EventBusName"}}
    assert outputs["EventBusArn"]["Export"] == {"Name": {"Sub": "${AWS::StackName}-EventBusArn"}}
    assert "StreamArn" not in json.dumps(outputs)
    readers = [
        name
        for name, function in template.resources("AWS::Serverless::Function").items()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "DynamoDB"
    ]
    assert readers == ["PublishEventsFunction"], "the stream is read by publish_events alone"


def test_every_event_type_has_its_schema_in_the_registry_as_the_contract_says():
    assert template.TEMPLATE.read_text() == event_schemas.with_template_section(template.TEMPLATE.read_text()), (
        "template.yaml's event schemas are stale: run `make openapi`"
    )
    schemas = template.resources("AWS::EventSchemas::Schema")
    by_name = {resource["Properties"]["SchemaName"]: resource["Properties"] for resource in schemas.values()}
    assert set(by_name) == {f"paygate@{event_type}" for event_type in EVENT_TYPES}
    for event_type in EVENT_TYPES:
        properties = by_name[f"paygate@{event_type}"]
        assert properties["Type"] == "JSONSchemaDraft4"
        assert properties["RegistryName"] == {"GetAtt": "PaymentEventsSchemaRegistry.RegistryName"}
        content = json.loads(properties["Content"])
        Draft4Validator.check_schema(content)
        assert content == event_schemas.draft4(event_type)


def test_the_registrys_draft4_schema_takes_a_genuine_event_and_pins_its_status():
    before = factories.record(status=Status.PROCESSING, provider_payment_id="sbx_1")
    event = status_change(before, before.model_copy(update={"status": Status.SUCCEEDED, "version": 2}))
    assert event is not None
    detail = json.loads(event.model_dump_json())
    assert list(Draft4Validator(event_schemas.draft4("payment.succeeded")).iter_errors(detail)) == []
    assert list(Draft4Validator(event_schemas.draft4("payment.failed")).iter_errors(detail))
