"""The checkers: due checks from the queue the scheduled run fills, each provider held to its rate limit
across all of them. A check that raises is left on the queue (retried, then its dead-letter queue; its
claim runs out and the next run finds it due again), the others of the batch go on."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import correlation, deadline, service
from paygate.lifecycle.due_checks import DueCheck
from paygate.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    correlation.use(context.aws_request_id)  # the work this run starts is its own
    service.checked_providers()  # once per container: an unconfigured provider is logged at its start

    def time_left() -> float:
        return context.get_remaining_time_in_millis() / 1000

    def check(record: SQSRecord) -> str:
        due_check = DueCheck.from_message(record.body)
        outcome = service.checker().check(due_check, time_left=time_left)
        logger.debug("due check", payment_id=due_check.payment_id, outcome=outcome)
        return outcome

    with deadline.invocation(context):
        return process_partial_response(event=event, record_handler=check, processor=processor, context=context)
