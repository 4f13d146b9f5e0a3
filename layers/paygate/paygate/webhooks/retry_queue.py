"""The webhook queue as the delivery worker's short retries use it: a delivery put back, due after a delay."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from paygate.timing import MAX_QUEUE_DELAY_SECONDS


def sqs_retries(client: Any, queue_url: str) -> Callable[[str, float], None]:
    """Puts a delivery back on the webhook queue, to be attempted after `delay` seconds (SQS's longest at most)."""

    def enqueue(delivery_id: str, delay: float) -> None:
        body = json.dumps({"delivery_id": delivery_id})
        client.send_message(
            QueueUrl=queue_url, MessageBody=body, DelaySeconds=min(MAX_QUEUE_DELAY_SECONDS, math.ceil(delay))
        )

    return enqueue
