"""CodeDeploy's PreTraffic and PostTraffic hook of the payment path: a synthetic payment through the new
versions of create, read and callback, then Succeeded or Failed to CodeDeploy (paygate.deploy_check)."""

import os

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from paygate import aws, deploy_check
from paygate.config import settings
from paygate.observability import logger

# One try per call, waited for as long as the slowest function may run: a create sent twice is a second
# synthetic payment, and a timeout here is a failed check, not a retry.
LAMBDA_CONFIG = Config(connect_timeout=5, read_timeout=60, retries={"mode": "standard", "total_max_attempts": 1})


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    invoke = deploy_check.lambda_invoker(aws.client("lambda", config=LAMBDA_CONFIG))
    targets = deploy_check.Targets.from_environment(os.environ)
    outcome = deploy_check.run(event, aws.client("codedeploy"), lambda: deploy_check.check(invoke, targets, settings()))
    return {"outcome": outcome}
