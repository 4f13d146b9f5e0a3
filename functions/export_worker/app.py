"""The export worker: each message of the exports queue names an export, whose file it writes (paygate.
exports.service). One that fails is left on the queue and tried again; on its last try the export is
recorded as failed, so its owner is not left waiting on a `running` export."""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import correlation, service
from paygate.observability import logger, metrics

# The queue's maxReceiveCount (template.yaml): the try after which a message goes to the dead-letter queue.
MAX_TRIES = 3

# A batch is one export (BatchSize 1): its failure is reported as the item's, as the other queues' are.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def write_export(record: SQSRecord) -> None:
    export_id = json.loads(record.body)["export_id"]
    try:
        written = service.exports().run(export_id)
    except Exception:
        if int(record.attributes.approximate_receive_count) >= MAX_TRIES:
            service.exports().fail(export_id, "internal_error")
        raise
    logger.info("export written", export_id=export_id, rows=written.rows if written else None)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    correlation.use(context.aws_request_id)
    return process_partial_response(event=event, record_handler=write_export, processor=processor, context=context)
