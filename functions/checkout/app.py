"""GET and POST /checkout/{token}: Paygate's hosted checkout page, public (the signed token is the key), and
GET /checkout/{token}/status, the status its script follows.

HTML, not the JSON API: every answer of the page, errors included, is a page with the checkout's security
headers (paygate.checkout.pages), in the customer's language (`?lang=`, else `Accept-Language`). What the
page shows and what a choice does is paygate.lifecycle.hosted."""

from __future__ import annotations

from urllib.parse import parse_qs

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import api, correlation, deadline, service
from paygate.api import APIGatewayRestResolver, NotFoundError, Response
from paygate.checkout import pages
from paygate.checkout.words import negotiate
from paygate.lifecycle.hosted import Answer
from paygate.observability import logger, metrics

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


@app.get("/checkout/<token>")
def show(token: str) -> Response[str]:
    returned = app.current_event.get_query_string_value("returned") == "1"
    return _respond(service.checkout().show(token, returned=returned, lang=_lang()))


@app.get("/checkout/<token>/status")
def status(token: str) -> Response[str]:
    return _respond(service.checkout().status(token))


@app.post("/checkout/<token>")
def choose(token: str) -> Response[str]:
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
    return _respond(Answer(404, pages.not_found(_lang())))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    correlation_id = api.correlate(event)
    with deadline.invocation(context):
        return api.with_header(app.resolve(event, context), correlation.HEADER, correlation_id)
