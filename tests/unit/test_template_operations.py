"""What the deployed stack promises its operator, read from the template as CloudFormation gets it (after
the SAM transform, as `sam validate` makes it): alarms reach a person, deploys roll back on what a
customer would see, and two stages never mix their metrics."""

from __future__ import annotations

import re

from local import template


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
