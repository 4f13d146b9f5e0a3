"""Logger and metrics, made once and shared by every function.

No X-Ray SDK tracer: importing it costs about 200 ms of every cold start. Lambda's own active tracing
(Tracing: Active in template.yaml) still records each invocation and its AWS calls' timing."""

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="paygate")
metrics = Metrics(namespace="Paygate", service="paygate")
