"""POST /ipn/{provider}: a provider's callback, authenticated the provider's way, then applied."""

from typing import Annotated

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from paygate import api, service
from paygate.api import Path
from paygate.observability import logger, metrics
from paygate.providers.catalog import SPECS

# A provider's callback is taken whatever query it carries: refusing it would lose a payment's news.
app = api.create_app(known_query_only=False)


class Received(BaseModel):
    """The answer to a callback that was taken."""

    received: bool = Field(default=True, description="Always true: the callback was taken", examples=[True])


@app.post(
    "/ipn/<provider>",
    summary="Receive a provider's callback (its own format, byte for byte)",
    operation_id="receiveCallback",
    description=(
        "Where a provider reports a payment's or refund's status, in its own format; the body is read "
        "byte for byte and authenticated the provider's own way (signature, shared key or source "
        "address) before anything in it is believed. Not for merchants."
    ),
)
def ipn_callback(
    provider: Annotated[
        str,
        Path(
            max_length=32,
            description="The provider whose callback this is",
            examples=["sandbox"],
            json_schema_extra={"enum": list(SPECS)},
        ),
    ],
) -> Received:
    result = service.apply_callback()(provider, api.callback_request(app.current_event))
    payment_id, status = (result.record.id, result.record.status) if result.record else (None, None)
    logger.info("callback handled", provider=provider, outcome=result.outcome, payment_id=payment_id, status=status)
    metrics.add_metric(name="CallbacksAccepted", unit="Count", value=1)
    return Received()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    service.checked_providers()  # once per container: an unconfigured provider is logged at its start
    return api.serve(app, event, context)
