"""The merchant's exports: ask for a file of a period's payments or money movements (written by the
export worker), and read it back, with a pre-signed URL to the file once it is written."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import api, service
from paygate.api import Body, Caller, Depends, Path, Response, content_types
from paygate.exports.models import CreateExportRequest, Export
from paygate.exports.service import Exports
from paygate.observability import logger, metrics

app = api.create_app()
SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]
Handled = Annotated[Exports, Depends(service.exports)]
EXAMPLE_ID = "ex_4f1c2a9b8e7d6c5b4a392817"


@app.post(
    "/exports",
    summary="Export a period's payments or money movements",
    description="Answers at once with the export, `pending`; a worker writes its file (CSV or JSON Lines) in"
    " seconds to minutes. Read it with GET /exports/{export_id} until it is `succeeded`, then fetch `url`."
    " The columns are described in docs/exports.md. 422 `validation_error`: a period that ends before it"
    " starts or is longer than 366 days, an unknown type or format.",
    operation_id="createExport",
    security=SECURITY,
    responses={
        202: {
            "description": "The export, pending",
            "links": {"getExport": {"operationId": "getExport", "parameters": {"export_id": "$response.body#/id"}}},
        },
        422: {"description": "validation_error: the period, the type or the format broke a rule"},
    },
)
def create_export(
    request: Annotated[CreateExportRequest, Body()], caller: Caller, exports: Handled
) -> Response[Export]:
    export = exports.create(caller.scope, request, livemode=caller.livemode)
    return Response(status_code=HTTPStatus.ACCEPTED, content_type=content_types.APPLICATION_JSON, body=export)


@app.get(
    "/exports/<export_id>",
    summary="Read an export (its file's URL once written)",
    description="Its status and, once `succeeded`, its row count and a pre-signed URL of the file valid for"
    " an hour (each read gives a fresh one). Exports are kept 7 days.",
    operation_id="getExport",
    security=SECURITY,
)
def get_export(
    export_id: Annotated[
        str, Path(max_length=64, description="The export's id", examples=["ex_4f1c2a9b8e7d6c5b4a392817"])
    ],
    caller: Caller,
    exports: Handled,
) -> Export:
    return exports.read(caller.scope, export_id)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return api.serve(app, event, context, json_only=True)
