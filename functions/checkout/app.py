"""GET and POST /checkout/{token}: Paygate's hosted checkout page, public (the signed token is the key), and
GET /checkout/{token}/status, the status its script follows.

HTML, not the JSON API: every answer of the page, errors included, is a page with the checkout's security
headers (paygate.checkout.pages), in the customer's language (`?lang=`, else `Accept-Language`). What the
page shows and what a choice does is paygate.lifecycle.hosted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from urllib.parse import parse_qs

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import api, correlation, deadline, service
from paygate.api import APIGatewayRestResolver, NotFoundError, Path, Response
from paygate.checkout import pages
from paygate.checkout.words import negotiate
from paygate.lifecycle.hosted import NO_STATUS, Answer
from paygate.observability import logger, metrics

if TYPE_CHECKING:  # Powertools' event handler package is imported after paygate (see paygate/__init__)
    from aws_lambda_powertools.event_handler.openapi.types import (
        OpenAPIResponse,
        OpenAPIResponseContentModel,
        OpenAPIResponseContentSchema,
    )

app = APIGatewayRestResolver()
# A choice is one method and one coin: anything much longer is not one.
MAX_FORM_BYTES = 2048


def _respond(answer: Answer) -> Response[str]:
    headers = dict(answer.headers)
    if answer.location:
        headers["Location"] = answer.location
    return Response(status_code=answer.status, headers=headers, body=answer.html)


def _lang() -> str:
    event = app.current_event
    return negotiate(event.headers.get("accept-language"), event.get_query_string_value("lang"))


PAGE: dict[str, OpenAPIResponseContentSchema | OpenAPIResponseContentModel] = {
    "text/html": {"schema": {"type": "string", "description": "The page (HTML)"}}
}
TOKEN = "The signed token of the payment's `checkout_url`: the customer's key to its page"
TOKEN_EXAMPLE = "eyJwIjoicGF5XzNmOWMifQ.c2ln"
# Every answer is a page or a redirect, never JSON: the document says so (a 303 carries its Location).
RESPONSES: dict[int, OpenAPIResponse] = {
    200: {"description": "The page: the ways to pay, the address to pay to, or how the payment ended", "content": PAGE},
    303: {
        "description": "On to the provider's page, or back to this page (a choice already made)",
        "headers": {"Location": {"description": "Where the customer goes next", "schema": {"type": "string"}}},
        "content": {"text/html": {"schema": {"type": "string", "maxLength": 0, "description": "Nothing"}}},
    },
    404: {"description": "A page saying the link is unknown or has expired", "content": PAGE},
}


@app.get(
    "/checkout/<token>",
    summary="The hosted checkout page",
    description="Paygate's page for one payment, public behind its signed link: the amount and whom the "
    "customer pays, then the ways to pay (a payment created with `methods`), the address and amount to send "
    "(crypto), or how the payment ended. A payment with a provider's page sends the customer there (303), unless "
    "the customer comes back from it (`?returned=1`, the return address given to the provider). In the customer's "
    "language: `?lang=` (en, de, es, fr), else `Accept-Language`.",
    operation_id="showCheckout",
    responses=RESPONSES,
)
def show(token: Annotated[str, Path(description=TOKEN, examples=[TOKEN_EXAMPLE])]) -> Response[str]:
    returned = app.current_event.get_query_string_value("returned") == "1"
    return _respond(service.checkout().show(token, returned=returned, lang=_lang()))


STATUS = {
    "type": "object",
    "description": "The payment's status, and whether it is the last one",
    "properties": {
        "status": {
            "type": ["string", "null"],
            "description": "The payment's status (null: the link opens nothing)",
            "examples": ["processing"],
        },
        "final": {"type": "boolean", "description": "True once the status can no longer change", "examples": [False]},
    },
}


@app.get(
    "/checkout/<token>/status",
    summary="The hosted checkout page's status",
    description="What the page's script follows to move on without a reload: the status of the link's payment, "
    "public behind the same signed link, never cached.",
    operation_id="checkoutStatus",
    responses={
        200: {"description": "The status", "content": {"application/json": {"schema": STATUS}}},
        404: {
            "description": 'The link is unknown or has expired: `{"status": null}`',
            "content": {"application/json": {"schema": STATUS}},
        },
    },
)
def status(token: Annotated[str, Path(description=TOKEN, examples=[TOKEN_EXAMPLE])]) -> Response[str]:
    return _respond(service.checkout().status(token))


@app.post(
    "/checkout/<token>",
    summary="Choose how to pay, on the hosted checkout page",
    description="The page's form (`application/x-www-form-urlencoded`: `method`, and `pay_currency` for a "
    "coin): creates the payment at the chosen provider, then sends the customer on (303). A choice that is "
    "not one of the page's shows the page again (400).",
    operation_id="chooseCheckout",
    responses={**RESPONSES, 400: {"description": "The page again, asking for a valid choice", "content": PAGE}},
)
def choose(token: Annotated[str, Path(description=TOKEN, examples=[TOKEN_EXAMPLE])]) -> Response[str]:
    event = app.current_event
    body = api.raw_body(event)
    try:
        if len(body) > MAX_FORM_BYTES:
            raise ValueError("too long")
        fields = parse_qs(body.decode(), max_num_fields=10)
    except ValueError:  # not UTF-8, or more than a choice: no choice at all (the page asks again, 400)
        fields = {}
    form = {name: values[0] for name, values in fields.items() if values}
    return _respond(service.checkout().choose(token, form, base_url=api.callback_base_url(event), lang=_lang()))


@app.not_found
def _no_route(_: NotFoundError) -> Response[str]:
    if app.current_event.path.endswith("/status"):  # a token no route takes: its status endpoint is JSON too
        return _respond(NO_STATUS)
    return _respond(Answer(404, pages.not_found(_lang())))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    correlation_id = api.correlate(event)
    with deadline.invocation(context):
        return api.with_header(app.resolve(event, context), correlation.HEADER, correlation_id)
