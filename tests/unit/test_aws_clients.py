"""Every AWS client the gateway makes has explicit timeouts and standard retries, from one place."""

from __future__ import annotations

import re

from local.template import ROOT
from paygate import aws, service

MADE_ELSEWHERE = re.compile(r"boto3\.(client|resource|Session)\(|boto3\.session\.Session\(|parameters\.get_\w+\(")


def test_the_clients_the_gateway_makes_give_up_within_seconds_and_retry_the_standard_way(dynamodb):
    service.reset()
    try:
        clients = {
            "dynamodb": service.dynamodb_client(),
            "sqs": service.sqs_client(),
            "events": service.publisher().client,
            "secretsmanager": aws.secrets().client,
        }
    finally:
        service.reset()
    for name, client in clients.items():
        config = client.meta.config
        assert client.meta.service_model.service_name == name
        assert (config.connect_timeout, config.read_timeout) == (1, 3), name
        assert config.retries == {"mode": "standard", "total_max_attempts": 3}, name


def test_no_module_of_the_layer_or_the_functions_makes_a_client_of_its_own():
    sources = [*(ROOT / "layers" / "paygate" / "paygate").rglob("*.py"), *(ROOT / "functions").glob("*/app.py")]
    elsewhere = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        if path.name != "aws.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if MADE_ELSEWHERE.search(line)
    ]
    assert elsewhere == []
    assert MADE_ELSEWHERE.search('boto3.client("sqs")') and MADE_ELSEWHERE.search("parameters.get_secret(name)")
