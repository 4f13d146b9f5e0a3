"""Logger, tracer and metrics, made once and shared by every function."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="paygate")
tracer = Tracer(service="paygate")
metrics = Metrics(namespace="Paygate", service="paygate")
