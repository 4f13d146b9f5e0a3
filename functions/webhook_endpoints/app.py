"""The merchant's webhook endpoints: register (the secret shown once), list, read, edit, delete, rotate
the secret (both sign for 24 h), the delivery log, sending a delivery again, and a test event."""

from http import HTTPStatus
from typing import Annotated, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from paygate import api, service
from paygate.api import Account, Body, Depends, Path, Query, Response, content_types
from paygate.observability import logger, metrics
from paygate.webhooks.models import CreateEndpointRequest, Delivery, UpdateEndpointRequest, WebhookEndpoint
from paygate.webhooks.service import Webhooks

app = api.create_app()
SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]
EndpointId = Annotated[
    str, Path(max_length=64, description="The webhook endpoint's id", examples=["we_4a7c1e9b2d5f8a3c6e0b1d2f"])
]


class EndpointList(BaseModel):
    """The account's webhook endpoints."""

    object: Literal["list"] = Field(default="list", description="Always `list`", examples=["list"])
    data: list[WebhookEndpoint] = Field(description="The endpoints, oldest first", examples=[[]])


class DeliveryList(BaseModel):
    """An endpoint's deliveries."""

    object: Literal["list"] = Field(default="list", description="Always `list`", examples=["list"])
    data: list[Delivery] = Field(description="The deliveries, newest first", examples=[[]])


class Deleted(BaseModel):
    """What a deleted webhook endpoint leaves: its id."""

    id: str = Field(description="The deleted endpoint's id", examples=["we_4a7c1e9b2d5f8a3c6e0b1d2f"])
    object: Literal["webhook_endpoint"] = Field(
        default="webhook_endpoint", description="Always `webhook_endpoint`", examples=["webhook_endpoint"]
    )
    deleted: bool = Field(default=True, description="Always true", examples=[True])


Hooks = Annotated[Webhooks, Depends(service.webhooks)]


@app.post(
    "/webhook-endpoints",
    summary="Register a webhook endpoint",
    operation_id="createWebhookEndpoint",
    description=(
        "Registers a URL that receives the chosen events (all when `events` is omitted), signed with "
        "Standard Webhooks headers. The answer carries the signing `secret`: it is shown only here and "
        "on rotation."
    ),
    security=SECURITY,
    responses={201: {"description": "The endpoint, with its signing secret: shown only here and on rotation"}},
)
def create_endpoint(
    request: Annotated[CreateEndpointRequest, Body()], account: Account, webhooks: Hooks
) -> Response[WebhookEndpoint]:
    endpoint = webhooks.register(account, request)
    return api.created(endpoint.public(with_secret=True))


@app.get(
    "/webhook-endpoints",
    summary="List webhook endpoints",
    operation_id="listWebhookEndpoints",
    description=("This account's webhook endpoints (their secrets not shown)."),
    security=SECURITY,
)
def list_endpoints(account: Account, webhooks: Hooks) -> EndpointList:
    return EndpointList(data=[endpoint.public() for endpoint in webhooks.endpoints(account)])


@app.get(
    "/webhook-endpoints/<endpoint_id>",
    summary="Read a webhook endpoint",
    operation_id="getWebhookEndpoint",
    description=("One webhook endpoint (its secret not shown), with its status and why it was disabled, if it was."),
    security=SECURITY,
)
def get_endpoint(endpoint_id: EndpointId, account: Account, webhooks: Hooks) -> WebhookEndpoint:
    return webhooks.endpoint(account, endpoint_id).public()


@app.patch(
    "/webhook-endpoints/<endpoint_id>",
    summary="Edit a webhook endpoint",
    description="Change any of `url`, `events`, `description` and `enabled`; the fields left out stay as they"
    " are. The url is checked as at registration. `enabled: true` enables again an endpoint disabled after"
    " a 410 or 5 days of failures, with its failures counted afresh. Two edits at once both apply.",
    operation_id="updateWebhookEndpoint",
    security=SECURITY,
)
def update_endpoint(
    endpoint_id: EndpointId, request: Annotated[UpdateEndpointRequest, Body()], account: Account, webhooks: Hooks
) -> WebhookEndpoint:
    return webhooks.update(account, endpoint_id, request).public()


@app.delete(
    "/webhook-endpoints/<endpoint_id>",
    summary="Delete a webhook endpoint",
    operation_id="deleteWebhookEndpoint",
    description=("Removes the endpoint: nothing more is sent to it."),
    security=SECURITY,
)
def delete_endpoint(endpoint_id: EndpointId, account: Account, webhooks: Hooks) -> Deleted:
    webhooks.delete(account, endpoint_id)
    return Deleted(id=endpoint_id)


@app.post(
    "/webhook-endpoints/<endpoint_id>/rotate-secret",
    summary="Rotate an endpoint's signing secret (the previous one signs too for 24 h)",
    operation_id="rotateWebhookSecret",
    description=(
        "A new signing secret, shown only in this answer; each secret it replaced keeps signing too (a "
        "second entry in `webhook-signature`) for 24 hours after its rotation."
    ),
    security=SECURITY,
)
def rotate_secret(endpoint_id: EndpointId, account: Account, webhooks: Hooks) -> WebhookEndpoint:
    return webhooks.rotate_secret(account, endpoint_id).public(with_secret=True)


@app.get(
    "/webhook-endpoints/<endpoint_id>/deliveries",
    summary="An endpoint's delivery log, newest first",
    operation_id="listWebhookDeliveries",
    description=(
        "The endpoint's deliveries, newest first: each event sent, its attempts with time, HTTP status, "
        "latency and error, and when the next attempt is due."
    ),
    security=SECURITY,
)
def list_deliveries(
    endpoint_id: EndpointId,
    account: Account,
    webhooks: Hooks,
    limit: Annotated[int, Query(ge=1, le=100, description="Deliveries to answer, newest first", examples=[20])] = 20,
) -> DeliveryList:
    deliveries = webhooks.deliveries(account, endpoint_id, limit=limit)
    return DeliveryList(data=[delivery.public() for delivery in deliveries])


@app.post(
    "/webhook-endpoints/<endpoint_id>/deliveries/<delivery_id>/retry",
    summary="Send a delivery again",
    operation_id="retryWebhookDelivery",
    description=("Makes the delivery due at once (a failed one too): it is attempted again within seconds."),
    security=SECURITY,
    responses={202: {"description": "The delivery, due again"}},
)
def retry_delivery(
    endpoint_id: EndpointId,
    delivery_id: Annotated[
        str, Path(max_length=64, description="The delivery's id", examples=["del_9e2b5d8f1a4c7e0b3d6f9a2c"])
    ],
    account: Account,
    webhooks: Hooks,
) -> Response[Delivery]:
    delivery = webhooks.retry(account, endpoint_id, delivery_id)
    return Response(
        status_code=HTTPStatus.ACCEPTED, content_type=content_types.APPLICATION_JSON, body=delivery.public()
    )


@app.post(
    "/webhook-endpoints/<endpoint_id>/test",
    summary="Send a test event to an endpoint",
    description="A `webhook.ping` event for this endpoint alone, whatever it subscribes to: signed, retried and"
    " logged as every delivery. It carries no payment (`data.test` is true). One per endpoint and minute:"
    " asking again within the minute answers the same delivery. `409 endpoint_disabled` for a disabled"
    " endpoint.",
    operation_id="testWebhookEndpoint",
    security=SECURITY,
    responses={202: {"description": "The test event's delivery, about to be attempted"}},
)
def send_test_event(endpoint_id: EndpointId, account: Account, webhooks: Hooks) -> Response[Delivery]:
    delivery = webhooks.send_test(account, endpoint_id)
    return Response(
        status_code=HTTPStatus.ACCEPTED, content_type=content_types.APPLICATION_JSON, body=delivery.public()
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return api.serve(app, event, context, json_only=True)
